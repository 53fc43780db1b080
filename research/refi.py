"""REFI-QDA codebooks (.qdc): write a codebook for NVivo, ATLAS.ti, MAXQDA and QualCoder, and read one back.

Groups become top-level, non-codable codes; their codes nest under them. A code's definition,
inclusion and exclusion notes and examples go into its Description; GUIDs survive a round trip.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from research.atomic import atomic_write_bytes
from research.codebook import HEX_COLOR, Code, Codebook, CodebookError, CodeGroup, slugify

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
SECTIONS = {"Include": "include", "Exclude": "exclude"}


def describe(code: Code) -> str:
    """The plain-text Description of a code: definition, then labelled notes and examples."""
    parts = [code.definition]
    for label, field in SECTIONS.items():
        if getattr(code, field):
            parts.append(f"{label}: {getattr(code, field)}")
    parts += [f"Example: {example}" for example in code.examples]
    return "\n".join(parts)


def codes_element(codebook: Codebook, namespace: str) -> etree._Element:
    """The <Codes> tree of a codebook in a REFI namespace (shared by .qdc and .qdpx)."""
    codes = etree.Element(f"{{{namespace}}}Codes")
    for group in codebook.groups:
        parent = etree.SubElement(codes, f"{{{namespace}}}Code", guid=codebook.guid(f"{group.id}:"), name=group.name, isCodable="false", color=_color(group.color))
        if group.description:
            etree.SubElement(parent, f"{{{namespace}}}Description").text = group.description
        for code in group.codes:
            key = f"{group.id}:{code.id}"
            child = etree.SubElement(parent, f"{{{namespace}}}Code", guid=codebook.guid(key), name=code.name, isCodable="true", color=_color(code.color or group.color))
            etree.SubElement(child, f"{{{namespace}}}Description").text = describe(code)
    return codes


def write_qdc(codebook: Codebook, path: Path) -> Path:
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS}, origin="research")
    root.append(codes_element(codebook, CODEBOOK_NS))
    return atomic_write_bytes(path, etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))


def read_qdc(path: Path) -> Codebook:
    """A codebook from a .qdc. Top-level codes with children become groups; childless top-level
    codes are gathered into one group named after the file."""
    try:
        root = etree.parse(str(path)).getroot()
    except (OSError, etree.XMLSyntaxError) as error:
        raise CodebookError(f"{path}: not a readable REFI-QDA codebook ({error})") from None
    namespace = etree.QName(root).namespace or CODEBOOK_NS
    codes = root.find(f"{{{namespace}}}Codes")
    if codes is None:
        raise CodebookError(f"{path}: no <Codes> element")
    groups, loose = [], []
    for element in codes.findall(f"{{{namespace}}}Code"):
        children = element.findall(f"{{{namespace}}}Code")
        if children:
            groups.append(CodeGroup(id=_slug(element.get("name")), name=element.get("name"), description=_description(element, namespace), color=_color(element.get("color")),
                                    codes=[_code(child, namespace) for child in _flatten(children, namespace)]))
        else:
            loose.append(_code(element, namespace))
    if loose:
        groups.append(CodeGroup(id=_slug(path.stem), name=path.stem, codes=loose))
    if not groups:
        raise CodebookError(f"{path}: the codebook has no codes")
    return Codebook(name=path.stem, groups=[_unique_ids(group) for group in groups])


def _slug(name: str) -> str:
    return slugify(name) or "code"


def _unique_ids(group: CodeGroup) -> CodeGroup:
    """Codes with the same name get ids with a number, so each stays addressable."""
    seen: dict[str, int] = {}
    for code in group.codes:
        seen[code.id] = seen.get(code.id, 0) + 1
        if seen[code.id] > 1:
            code.id = f"{code.id}-{seen[code.id]}"
    return CodeGroup.model_validate(group.model_dump())


def _flatten(elements: list, namespace: str) -> list:
    """Codes nested deeper than a group's children are kept as codes of that group."""
    out = []
    for element in elements:
        out.append(element)
        out += _flatten(element.findall(f"{{{namespace}}}Code"), namespace)
    return out


def _code(element, namespace: str) -> Code:
    lines = _description(element, namespace).splitlines()
    fields: dict = {"definition": "", "examples": []}
    for line in lines:
        label, _, rest = line.partition(": ")
        if label in SECTIONS and rest:
            fields[SECTIONS[label]] = rest
        elif label == "Example" and rest:
            fields["examples"].append(rest)
        else:
            fields["definition"] = (fields["definition"] + "\n" + line).strip()
    name = element.get("name") or "code"
    return Code(id=_slug(name), name=name, definition=fields.pop("definition") or name, color=element.get("color") and _color(element.get("color")), guid=element.get("guid"), **fields)


def _description(element, namespace: str) -> str:
    found = element.find(f"{{{namespace}}}Description")
    return (found.text or "").strip() if found is not None else ""


def _color(color: str) -> str:
    return color if HEX_COLOR.match(color or "") else "#888888"
