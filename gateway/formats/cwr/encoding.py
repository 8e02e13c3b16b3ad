"""Which CWR version a file is, and which character set its text is in, from its header."""

from __future__ import annotations

# HDR Character Set values (2.x table; 3.x ISO-8859-n) to Python codecs. Blank and the
# literal ASCII real files carry are read as Latin-1, so no byte ever fails to decode.
_CODECS = {
    "": "latin-1",
    "ASCII": "latin-1",
    "UTF-8": "utf-8",
    "UTF8": "utf-8",
    "UNICODE": "utf-8",
    "BIG5": "big5",
    "GB": "gb2312",
    **{f"ISO-8859-{n}": f"iso-8859-{n}" for n in range(1, 11)},
    **{f"ISO8859-{n}": f"iso-8859-{n}" for n in range(1, 11)},
}


def character_set_codec(character_set: str) -> str:
    """The codec for an HDR Character Set value (Latin-1 when unknown)."""
    return _CODECS.get(character_set.strip().upper(), "latin-1")


def detect_version(header: str, group_header: str = "") -> str | None:  # noqa: PLR0911 - one answer per header shape
    """2.1, 2.2, 3.0 or 3.1 from the HDR (and the first GRH for 2.1 files, which say little)."""
    if not header.startswith("HDR"):
        return None
    if header[59:64] == "01.10":
        if header[101:104] == "2.2" or group_header[11:16] == "02.20":
            return "2.2"
        return "2.1"
    version = header[102:105]
    if version in ("3.0", "3.1"):
        return version
    if group_header[11:16] == "03.00":
        return "3.0"
    if header[101:104] == "2.2":
        return "2.2"
    return None
