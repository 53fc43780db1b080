"""Feedback loops on the demo: the loops coding suggests, the loops the map shows, and the loops the demo's scripts
label (`feedback_loop:` on a customer turn), this checkout beside a reference revision in the same run.

    python benchmarks/demo_loops.py STUDY [--reference dc8a058]

STUDY: the anonymized demo study (e.g. the one the tests build into $RESEARCH_TEST_DEMO_CACHE); each revision codes
its own copy. An utterance carries a script turn's label when at least LABEL_SHARE of its words are that turn's (the
transcript is Whisper's, and speaker separation may cut a turn in two); a label is found when one of its
utterances has that loop.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import yaml
from at_revision import run_side, study_copy

SCRIPTS = Path(__file__).resolve().parent.parent / "interviews" / "demo" / "scripts"
LABEL_SHARE = 0.6


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def script_labels() -> dict[str, list[tuple[str, set[str]]]]:
    """{interview code: [(loop, the turn's words)]} from the demo scripts."""
    out: dict[str, list[tuple[str, set[str]]]] = {}
    for path in sorted(SCRIPTS.glob("*.yaml")):
        script = yaml.safe_load(path.read_text())
        code = f"INT-{int(script['id'].split('-')[1]):03d}"
        out[code] = [(turn["feedback_loop"], set(words(turn["text"]))) for turn in script["turns"] if turn.get("feedback_loop")]
    return out


def worker(study_root: Path) -> dict:
    """Code the study in this process (its `research` is the revision measured); its loops as (utterance, loop, source)."""
    from research.coding.stage import run_code, study_codebook
    from research.journey.advocacy import stored_loops
    from research.journey.evidence import load_utterances, participants_matching
    from research.study import Study

    study = Study.open(study_root)
    run_code(study, True)
    suggested = [[r["utterance_id"], r["code_key"].removeprefix("signal:feedback-"), r["source"]]
                 for r in study.db.query("SELECT utterance_id, code_key, source FROM codings WHERE code_key LIKE 'signal:feedback-%' AND status = 'suggested' ORDER BY 1")]
    journey = [u for u in load_utterances(study, study_codebook(study)[0], participants_matching(study, {})) if u.stage]
    shown = sorted([uid, state] for uid, state in stored_loops(study.db, journey).items())
    texts = {r["id"]: [r["code"], r["text"]] for r in study.db.query("SELECT u.id, i.code, u.text FROM utterances u JOIN interviews i ON i.id = u.interview_id WHERE u.role LIKE 'customer%'")}
    return {"suggested": suggested, "shown": shown, "texts": texts}


def labelled(texts: dict[str, list[str]]) -> dict[tuple[str, int], set[int]]:
    """{(interview code, label number): the utterances carrying that script turn's label}."""
    labels = script_labels()
    out: dict[tuple[str, int], set[int]] = {(code, n): set() for code, turns in labels.items() for n in range(len(turns))}
    for uid, (code, text) in texts.items():
        said = words(text)
        for n, (_, turn) in enumerate(labels.get(code, [])):
            if len(said) >= 4 and sum(w in turn for w in said) >= LABEL_SHARE * len(said):
                out[(code, n)].add(int(uid))
    return out


def score(run: dict) -> dict:
    labels = script_labels()
    places = labelled(run["texts"])
    truth = {uid: labels[code][n][0] for (code, n), uids in places.items() for uid in uids}

    def against(loops: list[tuple[int, str]]) -> dict:
        found = {(code, n) for (code, n), uids in places.items() if any(uid in uids and state == labels[code][n][0] for uid, state, *_ in loops)}
        return {"count": len(loops), "right": sum(truth.get(uid) == state for uid, state, *_ in loops), "labels found": len(found)}

    suggested = [(uid, state) for uid, state, _ in run["suggested"]]
    return {"labels": len(places), "suggested": against(suggested), "shown": against([tuple(x) for x in run["shown"]]),
            "suggested as shown": len({tuple(x) for x in run["shown"]} & set(suggested)), "by the reader": sum(source == "reader" for *_, source in run["suggested"])}


def side(study: Path, reference: str | None) -> dict | None:
    with study_copy(study) as copy:
        run = run_side(str(Path(__file__).resolve()), ["--worker", str(copy)], reference)
    return score(run) if run else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path, nargs="?")
    parser.add_argument("--reference", default="dc8a058", help="the revision to measure beside this checkout")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)  # internal: code this study copy, print JSON
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return
    old, new = side(args.study, args.reference), side(args.study, None)
    print(f"demo feedback loops; {new['labels']} labelled in the scripts")
    print(f"{'':<36} {args.reference:>10} {'new':>10}")
    rows = [("loops suggested", ("suggested", "count")), ("  of them the script's loop", ("suggested", "right")), ("  labels found", ("suggested", "labels found")),
            ("loops the map shows", ("shown", "count")), ("  of them the script's loop", ("shown", "right")), ("  labels found", ("shown", "labels found")),
            ("map loops that are suggested", ("suggested as shown",)), ("suggestions by the reader", ("by the reader",))]
    for name, path in rows:
        values = []
        for result in (old, new):
            value = result
            for key in path:
                value = value[key] if value is not None else None
            values.append("?" if value is None else str(value))
        print(f"{name:<36} {values[0]:>10} {values[1]:>10}")


if __name__ == "__main__":
    main()
