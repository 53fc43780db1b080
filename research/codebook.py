"""Codebooks: YAML ⇄ validated models, with errors that name the file, the line and the problem.

A codebook has groups (journey stage, emotion, touchpoint ...) and each group has codes.
A code is addressed study-wide by its key, `group:code` (e.g. `stage:discovery`).
"""

from __future__ import annotations

import re
import uuid
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, ValidationInfo, field_validator, model_validator

from research.errors import ResearchError
from research.textfile import NOT_TEXT, NotTextError, read_text_file

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "codebooks"
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
HEX_COLOR = re.compile(r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
GUID_NAMESPACE = uuid.UUID("6f1c2a4e-8f0b-4d55-9f31-1d2b8f9a7c10")


def slugify(name: str) -> str:
    """An id from a display name: lowercase letters and digits, other runs become '-' ("Wi-Fi pain" → "wi-fi-pain"); may be empty."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class CodebookError(ResearchError):
    pass


class Code(BaseModel):
    """One code: what it means, when to use it, and how to spot it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    definition: str = Field(min_length=1)
    include: str = ""
    exclude: str = ""
    examples: list[str] = []
    prompts: list[str] = []  # interviewer questions that usually lead to this code
    patterns: list[str | list[dict]] = []  # a phrase matched on lemmas, or a spaCy Matcher token pattern
    valence: float | None = Field(None, ge=-1, le=1)
    goemotions: list[str] = []  # GoEmotions labels that map to this code (emotion groups)
    color: str | None = None
    guid: str | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(f"'{value}' is not a valid id: use lowercase letters, digits, '-' or '_'")
        return value

    @field_validator("color")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        if value is not None and not HEX_COLOR.match(value):
            raise ValueError(f"'{value}' is not a colour: write it as #rrggbb")
        return value

    @field_validator("patterns")
    @classmethod
    def _token_patterns(cls, value: list[str | list[dict]]) -> list[str | list[dict]]:
        """A token pattern spaCy's Matcher would refuse is refused here, not when `research code` builds the matcher."""
        for number, pattern in enumerate(value, start=1):
            if isinstance(pattern, list):
                from spacy.schemas import validate_token_pattern  # only a codebook with token patterns pays for the import

                if problems := validate_token_pattern(pattern):
                    raise ValueError(f"pattern {number} is not a spaCy token pattern: {problems[0]}")
        return value


class CodeGroup(BaseModel):
    """Codes of one kind. `single`: at most one per utterance; `ordered`: they follow each other through an interview."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    description: str = ""
    kind: Literal["single", "multi"] = "multi"
    ordered: bool = False
    threshold: float = Field(0.5, gt=0, lt=1)  # a suggestion needs at least this confidence
    at_least_one: bool = False  # every coded utterance gets this group's best code (e.g. an emotion)
    fallback: str | None = None  # a code that applies only when no other code of the group does (e.g. neutral)
    none_examples: list[str] = []  # utterances that belong to no code of this group (introductions, small talk)
    color: str = "#888888"
    codes: list[Code] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        return Code._slug(value)

    @field_validator("color")
    @classmethod
    def _hex(cls, value: str) -> str:
        return Code._hex(value)

    @model_validator(mode="after")
    def _unique_codes(self) -> CodeGroup:
        seen: set[str] = set()
        names: dict[str, str] = {}
        for code in self.codes:
            if code.id in seen:
                raise ValueError(f"code id '{code.id}' appears twice in group '{self.id}'")
            seen.add(code.id)
            if code.name.casefold() in names:  # a coder (and a REFI-QDA import) could not tell them apart
                raise ValueError(f"codes '{names[code.name.casefold()]}' and '{code.id}' of group '{self.id}' have the same name '{code.name}'")
            names[code.name.casefold()] = code.id
        if self.ordered and self.kind != "single":
            raise ValueError(f"group '{self.id}' is ordered, so its kind must be 'single'")
        if self.fallback and self.fallback not in seen:
            raise ValueError(f"fallback '{self.fallback}' is not a code of group '{self.id}'")
        return self


class PainKind(BaseModel):
    """A kind of problem a map finds told across stages (`journey.pain_kinds`): `cues`, words for what went wrong
    ("wait", "charged twice"), which a negation denies ("didn't have to wait"); `due`, what customers were owed,
    which a negation makes this kind ("nobody told us", "never arrived"); `goal`, what a "How might we" asks for it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str = Field(min_length=1)
    goal: str = Field(min_length=1)  # "keep customers informed": How might we keep customers informed at …?
    cues: list[str] = []  # phrases matched on lemmas
    due: list[str] = []

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        return Code._slug(value)

    @field_validator("cues", "due")
    @classmethod
    def _phrases(cls, value: list[str]) -> list[str]:
        if any(not phrase.strip() for phrase in value):
            raise ValueError("a cue is a word or phrase, not an empty string")
        return value

    @model_validator(mode="after")
    def _told_somehow(self) -> PainKind:
        if not self.cues and not self.due:
            raise ValueError(f"pain kind '{self.id}' has neither cues nor due: give it words to be found by")
        return self


class PainKindsAdded(BaseModel):
    """`pain_kinds: {extends: default, kinds: [...], extra_cues: {waiting: [...]}, extra_due: {...}}`: the bundled kinds
    with a team's own: `kinds` adds kinds (one with a bundled kind's id takes its place), `extra_cues` and `extra_due`
    add words to a kind by its id, so a team names its jargon without copying the bundled list."""

    model_config = ConfigDict(extra="forbid")

    extends: Literal["default"]
    kinds: list[PainKind] = []
    extra_cues: dict[str, list[str]] = {}
    extra_due: dict[str, list[str]] = {}

    @field_validator("kinds")
    @classmethod
    def _unique(cls, value: list[PainKind]) -> list[PainKind]:
        _no_twice([kind.id for kind in value])
        return value

    @field_validator("extra_cues", "extra_due")
    @classmethod
    def _known(cls, value: dict[str, list[str]], info: ValidationInfo) -> dict[str, list[str]]:
        known = list(dict.fromkeys([kind.id for kind in default_pain_kinds()] + [kind.id for kind in info.data.get("kinds", [])]))
        for kind, phrases in value.items():
            if kind not in known:
                raise ValueError(f"'{kind}' is no pain kind (the kinds: {', '.join(known)})")
            PainKind._phrases(phrases)
        return value

    def over(self, bundled: list[PainKind]) -> list[PainKind]:
        """The kinds this makes of the bundled ones, in their order, then its own."""
        own = {kind.id: kind for kind in self.kinds}
        kinds = [own.pop(kind.id, kind) for kind in bundled] + list(own.values())
        return [kind.model_copy(update={"cues": _more(kind.cues, self.extra_cues.get(kind.id, [])), "due": _more(kind.due, self.extra_due.get(kind.id, []))})
                for kind in kinds]


def _more(phrases: list[str], extra: list[str]) -> list[str]:
    return list(dict.fromkeys([*phrases, *extra]))


def _no_twice(ids: list[str], what: str = "pain kind") -> None:
    if duplicate := next((i for i in ids if ids.count(i) > 1), None):
        raise ValueError(f"{what} '{duplicate}' appears twice")


KINDS_LISTED, KINDS_ADDED = "pain-kinds-listed", "pain-kinds-added"  # the two forms of `pain_kinds` (left out of an error's place)
PainKinds = Annotated[Annotated[list[PainKind], Tag(KINDS_LISTED)] | Annotated[PainKindsAdded, Tag(KINDS_ADDED)],
                      Discriminator(lambda value: KINDS_ADDED if isinstance(value, (dict, PainKindsAdded)) else KINDS_LISTED)]


class Codebook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    version: str = "1"
    description: str = ""
    groups: list[CodeGroup] = Field(min_length=1)
    pain_kinds: PainKinds = []  # none: the bundled cx-journey codebook's; or the bundled ones with more (`pain_kinds_of`)

    @model_validator(mode="after")
    def _unique_groups(self) -> Codebook:
        _no_twice([group.id for group in self.groups], "group id")
        if isinstance(self.pain_kinds, list):
            _no_twice([kind.id for kind in self.pain_kinds])
        return self

    @cached_property
    def codes(self) -> dict[str, tuple[CodeGroup, Code]]:
        """Every code by its key `group:code`, in codebook order."""
        return {f"{group.id}:{code.id}": (group, code) for group in self.groups for code in group.codes}

    def group(self, group_id: str) -> CodeGroup:
        for group in self.groups:
            if group.id == group_id:
                return group
        raise CodebookError(f"codebook '{self.name}' has no group '{group_id}'")

    def guid(self, key: str) -> str:
        """A stable GUID for a code (or group), kept when it came from a REFI-QDA file."""
        if key in self.codes and self.codes[key][1].guid:
            return self.codes[key][1].guid
        return str(uuid.uuid5(GUID_NAMESPACE, f"{self.name}/{key}"))

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(exclude_defaults=True), sort_keys=False, allow_unicode=True, width=100)


def pain_kinds_of(codebook: Codebook) -> list[PainKind]:
    """The codebook's kinds of problem: the bundled cx-journey codebook's where it names none (a codebook written
    before they were, or one that keeps the defaults), with its own kinds and words where it `extends: default`."""
    if isinstance(codebook.pain_kinds, PainKindsAdded):
        return codebook.pain_kinds.over(default_pain_kinds())
    return codebook.pain_kinds or default_pain_kinds()


@cache
def default_pain_kinds() -> list[PainKind]:
    return load(BUNDLED_DIR / "cx-journey.yaml").pain_kinds  # listed in full there


def resolve(name_or_path: str, base: Path | None = None) -> Path:
    """A codebook file from a path (relative to `base`) or the name of a bundled codebook."""
    candidate = Path(name_or_path).expanduser()
    if base is not None and not candidate.is_absolute():
        candidate = base / candidate
    if candidate.is_file():
        return candidate
    bundled = BUNDLED_DIR / f"{name_or_path}.yaml"
    if bundled.is_file():
        return bundled
    names = ", ".join(sorted(p.stem for p in BUNDLED_DIR.glob("*.yaml")))
    raise CodebookError(f"codebook '{name_or_path}' not found (a YAML or .qdc path, or one of: {names})")


def load(path: Path) -> Codebook:
    """Read and validate a codebook (.yaml, or REFI-QDC .qdc); errors say file, line and what is wrong."""
    if path.suffix.lower() == ".qdc":
        from research.refi import read_qdc

        return read_qdc(path)
    try:
        text = read_text_file(path)
        data = yaml.safe_load(text)
    except OSError as error:
        raise CodebookError(f"{path}: cannot read ({error.strerror})") from None
    except NotTextError:
        raise CodebookError(f"{path}: {NOT_TEXT}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        raise CodebookError(f"{path}: {where}: not valid YAML ({getattr(error, 'problem', error)})") from None
    if not isinstance(data, dict):
        raise CodebookError(f"{path}: line 1: a codebook is a mapping with 'name' and 'groups'")
    try:
        return Codebook.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        location = [part for part in first["loc"] if part not in (KINDS_LISTED, KINDS_ADDED)]
        message = first["msg"].removeprefix("Value error, ")
        named = re.match(r"'([^']+)' ", message)  # "'waitng' is no pain kind": the line of that key, where it is one
        line = _line_of(text, location, named.group(1) if named else None)
        where = ".".join(str(part) for part in location) or "codebook"
        raise CodebookError(f"{path}: line {line}: {where}: {message}") from None


def _line_of(text: str, location: list, key: str | None = None) -> int:
    """The 1-based line of the YAML node at `location` (or of its nearest existing parent), or of its `key` where it
    is a mapping that has one."""
    node = yaml.compose(text)
    for part in location:
        if isinstance(node, yaml.MappingNode):
            match = next((value for key, value in node.value if key.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            match = node.value[part]
        else:
            match = None
        if match is None:
            break
        node = match
    if key is not None and isinstance(node, yaml.MappingNode):
        node = next((k for k, _ in node.value if k.value == key), node)
    return node.start_mark.line + 1
