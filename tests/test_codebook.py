"""Codebooks: the bundled ones, validation errors with file and line, lemma patterns, REFI-QDC."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from research import codebook as codebooks
from research.cli import cli
from research.codebook import CodebookError
from research.refi import read_qdc, write_qdc

STAGES = ["discovery", "decision", "adoption", "retention", "advocacy"]


def test_default_codebook_covers_the_journey_and_every_code_is_documented():
    book = codebooks.load(codebooks.resolve("cx-journey"))
    assert [c.id for c in book.group("stage").codes] == STAGES
    assert book.group("stage").ordered
    emotions = {c.id: c for c in book.group("emotion").codes}
    assert {"delight", "trust", "relief", "surprise", "confusion", "frustration", "anxiety", "disappointment", "neutral"} <= set(emotions)
    assert all(code.valence is not None for code in emotions.values())
    assert emotions["delight"].valence > 0 > emotions["frustration"].valence
    for group_id in ("touchpoint", "channel", "silo", "signal"):
        assert book.group(group_id).codes
    signals = {c.id for c in book.group("signal").codes}
    assert {"tollgate", "expectation-gap", "pain-point", "delight", "feedback-opened", "feedback-closed", "feedback-ignored"} <= signals
    for key, (_, code) in book.codes.items():
        assert code.definition, key
    for code in book.group("stage").codes:
        assert code.include and code.exclude and len(code.examples) >= 5, code.id


def test_second_codebook_is_a_b2b_buying_journey():
    book = codebooks.load(codebooks.resolve("b2b-buying"))
    assert [c.id for c in book.group("stage").codes] == ["trigger", "research", "evaluation", "approval", "purchase", "implementation", "renewal"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\ngroups:\n  - id: stage\n    name: Stage\n    codes:\n      - id: a\n        name: A\n", "line 6: groups.0.codes.0.definition: Field required"),
        ("name: x\ngroups:\n  - id: g\n    name: G\n    codes:\n      - {id: a, name: A, definition: d}\n      - {id: a, name: B, definition: d}\n", "line 3: groups.0: code id 'a' appears twice in group 'g'"),
        ("name: x\ngroups:\n  - id: g\n    name: G\n    codes:\n      - {id: Bad Id, name: A, definition: d}\n", "line 6: groups.0.codes.0.id: 'Bad Id' is not a valid id"),
        ("name: x\ngroups:\n  - id: g\n    name: G\n    kind: multi\n    ordered: true\n    codes:\n      - {id: a, name: A, definition: d}\n", "ordered, so its kind must be 'single'"),
        ("name: x\ngroups: [\n", "line 3: not valid YAML"),
        ("- just a list\n", "line 1: a codebook is a mapping"),
        # these passed the check, then a colour crashed the review app and a token pattern `research code`
        ("name: x\ngroups:\n  - id: g\n    name: G\n    color: teal-ish\n    codes:\n      - {id: a, name: A, definition: d}\n", "line 5: groups.0.color: 'teal-ish' is not a colour"),
        ("name: x\ngroups:\n  - id: g\n    name: G\n    codes:\n      - id: a\n        name: A\n        definition: d\n        patterns: [[{LOWER: {IS: x}}]]\n",
         "line 9: groups.0.codes.0.patterns: pattern 1 is not a spaCy token pattern"),
        ("name: x\ngroups:\n  - id: g\n    name: G\n    codes:\n      - {id: a, name: A, definition: d}\npain_kinds:\n  - {id: slow, name: Slow, goal: speed up}\n",
         "line 8: pain_kinds.0: pain kind 'slow' has neither cues nor due"),
        ("name: x\ngroups:\n  - id: g\n    name: G\n    codes:\n      - {id: a, name: A, definition: d}\npain_kinds:\n  - {id: slow, name: Slow, cues: [lag]}\n",
         "line 8: pain_kinds.0.goal: Field required"),
        # the bundled kinds with a team's own: a word for a kind that is none, and a form that is neither
        ("name: x\ngroups:\n  - id: g\n    name: G\n    codes:\n      - {id: a, name: A, definition: d}\npain_kinds:\n  extends: default\n  extra_cues:\n    waiting: [sla]\n    waitng: [queue]\n",
         "line 11: pain_kinds.extra_cues: 'waitng' is no pain kind (the kinds: waiting, no-information, failure, cost, effort, staff)"),
        ("name: x\ngroups:\n  - id: g\n    name: G\n    codes:\n      - {id: a, name: A, definition: d}\npain_kinds:\n  extends: mine\n",
         "line 8: pain_kinds.extends: Input should be 'default'"),
        ("name: x\ngroups:\n  - id: g\n    name: G\n    codes:\n      - {id: a, name: A, definition: d}\npain_kinds:\n  extends: default\n  kinds:\n    - {id: outage, name: Outages, cues: [down]}\n",
         "line 10: pain_kinds.kinds.0.goal: Field required"),
    ],
)
def test_malformed_codebooks_get_one_line_with_file_and_line(tmp_path: Path, text: str, message: str):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(CodebookError) as error:
        codebooks.load(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_a_codebook_without_kinds_of_problem_uses_the_bundled_ones(tmp_path: Path):
    path = tmp_path / "old.yaml"
    path.write_text("name: x\ngroups:\n  - id: g\n    name: G\n    codes:\n      - {id: a, name: A, definition: d}\n")
    assert [k.id for k in codebooks.pain_kinds_of(codebooks.load(path))] == ["waiting", "no-information", "failure", "cost", "effort", "staff"]


def test_a_codebook_adds_kinds_of_problem_and_words_to_the_bundled_ones(tmp_path: Path):
    path = tmp_path / "telco.yaml"
    path.write_text("name: x\ngroups:\n  - id: g\n    name: G\n    codes:\n      - {id: a, name: A, definition: d}\n"
                    "pain_kinds:\n  extends: default\n  kinds:\n    - {id: outage, name: Outages, goal: keep the service running, cues: [outage]}\n"
                    "    - {id: cost, name: Bills, goal: make bills fair, cues: [bill shock]}\n"
                    "  extra_cues:\n    waiting: [ticket queue]\n    outage: [went dark]\n  extra_due:\n    no-information: [escalate]\n")
    loaded = codebooks.load(path)
    kinds = {k.id: k for k in codebooks.pain_kinds_of(loaded)}
    assert list(kinds) == ["waiting", "no-information", "failure", "cost", "effort", "staff", "outage"]
    bundled = {k.id: k for k in codebooks.default_pain_kinds()}
    assert kinds["waiting"].cues == [*bundled["waiting"].cues, "ticket queue"] and kinds["no-information"].due[-1] == "escalate"
    assert kinds["cost"].name == "Bills" and kinds["cost"].cues == ["bill shock"]  # a bundled kind's id replaces it
    assert kinds["outage"].cues == ["outage", "went dark"] and kinds["failure"] == bundled["failure"]
    again = tmp_path / "again.yaml"
    again.write_text(loaded.to_yaml())
    assert codebooks.pain_kinds_of(codebooks.load(again)) == list(kinds.values())  # the short form is kept, not the list it makes


def test_a_codebook_that_is_no_text_is_one_line(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"\x00\xb1\x02 binary")
    with pytest.raises(CodebookError, match="not a text file"):
        codebooks.load(path)


def test_cli_reports_a_bad_codebook_in_one_line(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\ngroups: []\n")
    result = CliRunner().invoke(cli, ["codebook", "check", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "line 2: groups" in result.output


def test_unknown_codebook_names_the_bundled_ones():
    with pytest.raises(CodebookError, match="b2b-buying, cx-journey"):
        codebooks.resolve("nope")


def test_patterns_match_on_lemmas_and_token_patterns():
    from research.coding.rules import RuleMatcher
    from research.nlp import load_spacy

    book = codebooks.Codebook.model_validate({
        "name": "t",
        "groups": [{"id": "g", "name": "G", "codes": [
            {"id": "support", "name": "S", "definition": "d", "patterns": ["call support"]},
            {"id": "money", "name": "M", "definition": "d", "patterns": [[{"LOWER": "refund"}, {"IS_DIGIT": True, "OP": "?"}]]},
        ]}],
    })
    rules = RuleMatcher(book, load_spacy(("parser", "ner")))
    calls, refunds, neither = (rules.matches(doc) for doc in rules.docs(["I called support twice.", "They sent a refund.", "Support was quiet."]))
    assert calls == {"g:support": ["called support"]}
    assert "g:money" in refunds and "g:support" not in refunds
    assert neither == {}


def test_qdc_export_validates_against_the_refi_schema_and_round_trips(tmp_path: Path, shared_data: Path):
    from lxml import etree

    book = codebooks.load(codebooks.resolve("cx-journey"))
    path = write_qdc(book, tmp_path / "cx.qdc")
    schema = etree.XMLSchema(etree.parse(str(shared_data / "refi-qda" / "Codebook.xsd")))
    assert schema.validate(etree.parse(str(path))), schema.error_log
    back = read_qdc(path)
    assert [g.name for g in back.groups] == [g.name for g in book.groups]
    original = book.group("stage").codes[0]
    imported = back.groups[0].codes[0]
    assert (imported.name, imported.definition, imported.include, imported.exclude, imported.examples) == (original.name, original.definition, original.include, original.exclude, original.examples)
    assert imported.guid == book.guid("stage:discovery")


def test_qdc_from_another_tool_imports(tmp_path: Path, shared_data: Path):
    book = read_qdc(shared_data / "refi-qda" / "example-codebook.qdc")
    (code,) = book.codes.values()
    assert code[1].name == "Trust" and code[1].definition == "Statements about trust." and code[1].guid
    target = tmp_path / "imported.yaml"
    result = CliRunner().invoke(cli, ["codebook", "import", str(shared_data / "refi-qda" / "example-codebook.qdc"), str(target)])
    assert result.exit_code == 0, result.output
    assert codebooks.load(target).codes.keys() == book.codes.keys()
