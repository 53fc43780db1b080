"""Text files as teams' tools write them: UTF-8 (with or without a BOM), UTF-16 or UTF-32 with a BOM (Windows
Notepad's and Excel's "Unicode text"), else Windows-1252 (Word's and Excel's "plain text" / CSV on a Western
Windows). Anything else, or a file with NUL bytes, is not read as text."""

from __future__ import annotations

import codecs
from pathlib import Path

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class NotTextError(ValueError):
    """The bytes are no text in any encoding read here."""


def decode_text(data: bytes) -> str:
    """The text of a file's bytes; NotTextError when it has none (see the module for the encodings tried)."""
    codec = next((codec for bom, codec in _BOMS if data.startswith(bom)), None)
    try:
        if codec:
            return data.decode(codec)
        if b"\x00" in data:
            raise NotTextError("NUL bytes: not a text file")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise NotTextError(str(error)) from None


def read_text_file(path: Path) -> str:
    """`path`'s text (raises NotTextError, or OSError when it can't be read)."""
    return decode_text(path.read_bytes())


NOT_TEXT = "not a text file (UTF-8, UTF-16 with a byte-order mark, or Windows-1252)"
