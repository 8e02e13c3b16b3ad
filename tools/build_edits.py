"""Build the CISAC edit catalogues shipped in ``gateway/validation/data/``.

This is a development script, run by hand when the source tables change::

    .venv/bin/python tools/build_edits.py [--spec-dir DIR] [--out DIR]

It reads the CISAC error-message tables and specification texts from the shared reference
folder (``/work/shared/reference/cwr/spec`` by default) and writes two CSV files of our own
format, which the gateway loads at run time (the product never reads the shared folder):

* ``edits_2x.csv``: CWR 2.1 / 2.2, from CWR08-2493 (2014-01-16) plus the repairs below.
* ``edits_31.csv``: CWR 3.1 (also used for 3.0), from CWR22-0146 (2022-02-03).

Output columns: ``record_type,level,number,society,rejection,text,source``.

* ``number`` is three digits; ``society`` is a three-digit CISAC society code, blank for a
  generic edit (the sources write ``000``, ``0`` or nothing for that).
* ``source`` is blank when the row is exactly as in the error-message table, and otherwise says
  where the row, or the part of it that was changed, comes from.

Duplicates
----------
Rows are keyed by (record type, level, number, society).

* Two rows with the same key and the same text (whitespace-normalised): the first is kept.
* Two rows with the same key and different texts: if the second text is genuinely a different
  edit, it gets a distinct key taken from the specification (the ``REKEY`` table below), and the
  source column says so. Otherwise the first row is kept, the second is dropped and the script
  reports it on stderr. In CWR08-2493 this concerns two keys:

  - ``XRF F 001`` appears twice. The second row ("Invalid value in Validity Indicator") is the
    2.2 Rev 2 §5.32 XRF field edit 3, so it becomes ``XRF F 003``.
  - ``SPU F 039`` (soc 058) appears twice. The second row ("SPU Record which represents the
    submitter misses IPI Name Number") is the generic 2.2 Rev 2 SPU field edit 40 ("If Record
    Type is equal to SPU and is the collecting publisher the Publisher IPI Name Number must be
    entered. (TR)"), so it becomes ``SPU F 040`` with no society.

  An edit id may still have several rows, one per society (``NWR T 040`` has 16 Brazilian
  societies; ``NWR T 046`` is SIAE's in CWR08-2493 and ICE's in 2.2 Rev 2).

Other repairs (each noted in ``source``)
----------------------------------------
2.x:

* ``NWR F 001``-``016`` are missing from CWR08-2493; they are read from §4.5.6 "Field Level
  Validation" of the 2.1 Rev 8 specification, with the rejection level the rule states.
* ``XRF F 002`` (Identifier Type) is missing too; it is taken from 2.2 Rev 2 §5.32.
* Six rows have no rejection level (``NWR T 005``, ``SPT R 003``/``004``, ``SPT F 003``-``005``).
  2.1 Rev 8 lists all six as "Edit has been removed"; the level is inferred as ``TR``, which is
  the level of every live edit around them (§4.5.5 and §5.7.3/§5.7.4).
* ``NWR F 021`` is generic in CWR08-2493 but "(TR - BMI only)" in 2.1 Rev 8 §4.5.6 and §7.3:
  society 021.
* ``REC F 013`` is generic in CWR08-2493 but "(TR - SESAC only)" in 2.1 Rev 8 §7.9: society 071.
* Edits of 2.2 Rev 2 that CWR08-2493 predates and that carry a number in the 2.2 text: the
  agreement-number edits "for registrations to Societies requiring Society Assigned Agreement
  Numbers only" (SPU F 041-044, generic, as their 3.1 counterparts SPT F 026-029 are), ICE's
  (society 319: NWR T 046/047, SPU F 045, PWR F 014-019; §7.6 lists them unnumbered) and
  SACEM's agreement-number IPI checks (SPU F 046/047, numbered as in §7.8). Other 2.2
  additions (MusicMark, SGAE agreement hierarchy) are left out, because their 2.2 numbers
  collide with different CWR08-2493 edits.

3.1:

* ``PWR F 014``, ``SPU R 006`` and ``SPU R 007`` say "(MusicMark only)" but have a blank
  society in CWR22-0146: society 707 (MusicMark), as 3.1 Rev 0 §4.12 and §4.1 say.
* ``PWR F 007`` carries society 004 in CWR22-0146, but 3.1 Rev 0 §4.12 PWR field edit 6 is
  generic "(TR)": society cleared.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_SPEC_DIR = Path("/work/shared/reference/cwr/spec")
DEFAULT_OUT_DIR = Path(__file__).resolve().parents[1] / "gateway" / "validation" / "data"

SOURCE_2X = "CWR08-2493_CWR_2x_error_messages_2014-01-16.csv"
SOURCE_31 = "CWR22-0146_CWR_3.1_error_messages_2022-02-03.csv"
SPEC_21 = "CWR11-1991R4_CWR_2.1_Rev8_functional_spec.txt"

COLUMNS = ("record_type", "level", "number", "society", "rejection", "text", "source")
LEVELS = "EGTRF"
REJECTIONS = frozenset({"ER", "GR", "TR", "RR", "FR"})


@dataclass(frozen=True, slots=True)
class Row:
    """One output row."""

    record_type: str
    level: str
    number: str
    society: str
    rejection: str
    text: str
    source: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """(record type, level, number, society)."""
        return (self.record_type, self.level, self.number, self.society)

    @property
    def edit_id(self) -> str:
        """``"NWR T 030"``."""
        return f"{self.record_type} {self.level} {self.number}"


# Second occurrences of a key whose text is a different edit: (key, start of text) -> changes.
REKEY: dict[tuple[tuple[str, str, str, str], str], dict[str, str]] = {
    (("XRF", "F", "001", ""), "Invalid value in Validity Indicator"): {
        "number": "003",
        "source": "CWR08-2493 lists it as a second XRF F 001; number from 2.2 Rev 2 §5.32 edit 3",
    },
    (("SPU", "F", "039", "058"), "SPU Record which represents the submitter"): {
        "number": "040",
        "society": "",
        "source": (
            "CWR08-2493 lists it as a second SPU F 039 (soc 058); number and generic scope "
            "from 2.2 Rev 2 §5.4 SPU field edit 40"
        ),
    },
}

# Rows without a rejection level in CWR08-2493, with the level inferred from the spec.
INFERRED_REJECTION_2X: dict[str, tuple[str, str]] = {
    "NWR T 005": ("TR", "2.1 Rev 8 §4.5.5 edit 5 removed; TR like the other NWR T edits"),
    "SPT R 003": ("TR", "2.1 Rev 8 §5.7.3 edit 3 removed; TR like SPT R 001/005/006"),
    "SPT R 004": ("TR", "2.1 Rev 8 §5.7.3 edit 4 removed; TR like SPT R 001/005/006"),
    "SPT F 003": ("TR", "2.1 Rev 8 §5.7.4 edit 3 removed; TR like SPT F 001/002/006-010"),
    "SPT F 004": ("TR", "2.1 Rev 8 §5.7.4 edit 4 removed; TR like SPT F 001/002/006-010"),
    "SPT F 005": ("TR", "2.1 Rev 8 §5.7.4 edit 5 removed; TR like SPT F 001/002/006-010"),
}

# Generic rows that the specification restricts to one society: edit id -> (society, source).
SOCIETY_FIX_2X: dict[str, tuple[str, str]] = {
    "NWR F 021": ("021", "society from 2.1 Rev 8 §4.5.6 edit 21 and §7.3 (TR - BMI only)"),
    "REC F 013": ("071", "society from 2.1 Rev 8 §7.9 (TR - SESAC only)"),
}
SOCIETY_FIX_31: dict[tuple[str, str], tuple[str, str]] = {
    # (edit id, society in the source) -> (society, source)
    ("PWR F 014", ""): ("707", "society from the text and 3.1 Rev 0 §4.12 (MusicMark only)"),
    ("SPU R 006", ""): ("707", "society from the text and 3.1 Rev 0 §4.1 (MusicMark only)"),
    ("SPU R 007", ""): ("707", "society from the text and 3.1 Rev 0 §4.1 (MusicMark only)"),
    ("PWR F 007", "004"): ("", "soc 004 in CWR22-0146; 3.1 Rev 0 §4.12 PWR edit 6 is generic"),
}


def _extra(edit_id: str, society: str, rejection: str, text: str, source: str) -> Row:
    record_type, level, number = edit_id.split()
    return Row(record_type, level, number, society, rejection, text, source)


_ICE = "319"
_SACEM = "058"
_S22 = "2.2 Rev 2"
# Edits of 2.2 Rev 2 that CWR08-2493 lacks (see the module docstring).
EXTRA_2X: tuple[Row, ...] = (
    _extra(
        "XRF F 002",
        "",
        "RR",
        "Identifier Type must be entered and must be equal to W, R, or P",
        f"{_S22} §5.32 edit 2",
    ),
    _extra(
        "NWR T 046",
        _ICE,
        "TR",
        "Writer Designation Code AR on the work, but no other writer has C or CA (ICE only)",
        f"{_S22} §4.2 transaction edit 46; §7.6",
    ),
    _extra(
        "NWR T 047",
        _ICE,
        "TR",
        "Writer Designation Code SA on the work, but no other writer has A or CA (ICE only)",
        f"{_S22} §4.2 transaction edit 47; §7.6",
    ),
    _extra(
        "SPU F 041",
        "",
        "TR",
        "Society-Assigned Agreement Number missing on SPU (receivers that require one only)",
        f"{_S22} §5.4 SPU field edit 41",
    ),
    _extra(
        "SPU F 042",
        "",
        "TR",
        "Society-Assigned Agreement Number represents a terminated agreement (receivers that "
        "require one only)",
        f"{_S22} §5.4 SPU field edit 42",
    ),
    _extra(
        "SPU F 043",
        "",
        "TR",
        "Society-Assigned Agreement Number does not exist in the society system (receivers that "
        "require one only)",
        f"{_S22} §5.4 SPU field edit 43",
    ),
    _extra(
        "SPU F 044",
        "",
        "TR",
        "Claimed territory is not included in the agreement on file for the Society-Assigned "
        "Agreement Number (receivers that require one only)",
        f"{_S22} §5.4 SPU field edit 44",
    ),
    _extra(
        "SPU F 045",
        _ICE,
        "TR",
        "Society-Assigned Agreement Number does not refer to the quoted combination of "
        "Submitter, Assignor and Agreement number on SPU (ICE only)",
        f"{_S22} §5.4 SPU field edit 45; §7.6",
    ),
    _extra(
        "SPU F 046",
        _SACEM,
        "TR",
        "IPI Name Number of the Original Publisher SPU is not the assignor of the agreement in "
        "the first 7 characters of the Society-Assigned Agreement Number (SACEM only)",
        f"{_S22} §7.8 edit 46 (unnumbered in §5.4, which calls the next one 46)",
    ),
    _extra(
        "SPU F 047",
        _SACEM,
        "TR",
        "IPI Name Number of the Sub-Publisher SPU is not the assignee of the agreement in the "
        "last 7 characters of the Society-Assigned Agreement Number (SACEM only)",
        f"{_S22} §7.8 edit 47 (numbered 46 in §5.4)",
    ),
    _extra(
        "PWR F 014",
        _ICE,
        "TR",
        "Agreement number missing on PWR (ICE only)",
        f"{_S22} §5.14 PWR field edit 14; §7.6",
    ),
    _extra(
        "PWR F 015",
        _ICE,
        "TR",
        "Agreement not found in ICE on quoted combination of Submitter, Assignor and Agreement "
        "number on PWR (ICE only)",
        f"{_S22} §5.14 PWR field edit 15; §7.6",
    ),
    _extra(
        "PWR F 016",
        _ICE,
        "TR",
        "Agreement is terminated (ICE only)",
        f"{_S22} §5.14 PWR field edit 16; §7.6",
    ),
    _extra(
        "PWR F 017",
        _ICE,
        "TR",
        "Agreement number on PWR does not exist in ICE (ICE only)",
        f"{_S22} §5.14 PWR field edit 17; §7.6",
    ),
    _extra(
        "PWR F 018",
        _ICE,
        "TR",
        "Claimed territory on transaction is not included on publisher's agreement in ICE "
        "(ICE only)",
        f"{_S22} §5.14 PWR field edit 18; §7.6",
    ),
    _extra(
        "PWR F 019",
        _ICE,
        "TR",
        "Original publisher on transaction does not own the quoted agreement number (ICE only)",
        f"{_S22} §5.14 PWR field edit 19; §7.6",
    ),
)

_WS = re.compile(r"\s+")
_ITEM = re.compile(r"^\s*(\d{1,2})\.\s+(.*)$")
_SKIP = re.compile(r"^\s*(Revised in Version|Version \d)")
_LEVEL_NOTE = re.compile(r"\((ER|GR|TR|RR|FR)\b\s*(?:[-\u2013]\s*)?(.*?)\)\s*\.?\s*$")


def _clean(text: str) -> str:
    return _WS.sub(" ", text.replace("\u00a0", " ")).strip()


def read_table(path: Path) -> list[Row]:
    """Read a CISAC error-message table in the shared six-column CSV form."""
    rows: list[Row] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            society = record["society_code"].strip()
            if society.strip("0") == "":
                society = ""
            rows.append(
                Row(
                    record_type=record["record_type"].strip().upper(),
                    level=record["message_level"].strip().upper(),
                    number=record["validation_number"].strip().zfill(3),
                    society=society.zfill(3) if society else "",
                    rejection=record["rejection_level"].strip().upper(),
                    text=_clean(record["text"]),
                )
            )
    return rows


def nwr_field_edits(spec_21: Path) -> list[Row]:
    """NWR F 001-016 from §4.5.6 "Field Level Validation" of the 2.1 Rev 8 specification."""
    lines = spec_21.read_text(encoding="utf-8").splitlines()
    heading = re.compile(r"^4\.5\.6\.\s+Field Level Validation\s*$")
    starts = [i for i, line in enumerate(lines) if heading.match(line)]
    if len(starts) != 1:
        raise SystemExit(f"{spec_21.name}: expected one §4.5.6 heading, found {len(starts)}")
    items: dict[int, list[str]] = {}
    current: int | None = None
    for line in lines[starts[0] + 1 :]:
        if _SKIP.match(line):
            continue
        match = _ITEM.match(line)
        if match:
            current = int(match.group(1))
            if current > 16:
                break
            items[current] = [match.group(2)]
        elif current is not None and line.strip():
            items[current].append(line)
    if sorted(items) != list(range(1, 17)):
        raise SystemExit(f"{spec_21.name} §4.5.6: expected rules 1-16, found {sorted(items)}")
    rows = []
    for number, parts in sorted(items.items()):
        text = _clean(" ".join(parts))
        match = _LEVEL_NOTE.search(text)
        if match is None:
            raise SystemExit(f"{spec_21.name} §4.5.6 rule {number}: no rejection level in {text!r}")
        body = text[: match.start()].rstrip(" .")
        note = match.group(2).strip()
        if note:
            body = f"{body} ({note})"
        rows.append(Row("NWR", "F", f"{number:03d}", "", match.group(1), body, "2.1 Rev 8 §4.5.6"))
    return rows


def deduplicate(rows: list[Row], table: str) -> list[Row]:
    """Apply the duplicate rules described in the module docstring."""
    kept: dict[tuple[str, str, str, str], Row] = {}
    for row in rows:
        first = kept.get(row.key)
        if first is None:
            kept[row.key] = row
            continue
        if first.text == row.text:
            continue
        change = next(
            (
                c
                for (key, start), c in REKEY.items()
                if key == row.key and row.text.startswith(start)
            ),
            None,
        )
        if change is None:
            print(
                f"{table}: {row.edit_id} soc {row.society or '-'} repeated with another text; "
                f"kept the first: {row.text!r}",
                file=sys.stderr,
            )
            continue
        moved = replace(row, **change)
        if moved.key in kept:
            raise SystemExit(f"{table}: re-keyed {row.edit_id} collides with {moved.edit_id}")
        kept[moved.key] = moved
    return list(kept.values())


def build_2x(spec_dir: Path) -> list[Row]:
    """The CWR 2.x catalogue rows."""
    rows = []
    for row in read_table(spec_dir / SOURCE_2X):
        fixed = row
        if not row.rejection:
            level, why = INFERRED_REJECTION_2X[row.edit_id]
            fixed = replace(fixed, rejection=level, source=f"rejection level inferred: {why}")
        if row.edit_id in SOCIETY_FIX_2X and not row.society:
            society, why = SOCIETY_FIX_2X[row.edit_id]
            fixed = replace(fixed, society=society, source=why)
        rows.append(fixed)
    rows = deduplicate(rows, SOURCE_2X)
    have = {row.edit_id for row in rows}
    for extra in nwr_field_edits(spec_dir / SPEC_21):
        if extra.edit_id in have:
            raise SystemExit(f"{SOURCE_2X} now has {extra.edit_id}; drop the §4.5.6 repair")
        rows.append(extra)
    keys = {row.key for row in rows}
    for extra in EXTRA_2X:
        if extra.key in keys:
            raise SystemExit(f"{SOURCE_2X} now has {extra.edit_id} soc {extra.society}")
        rows.append(extra)
    return rows


def build_31(spec_dir: Path) -> list[Row]:
    """The CWR 3.1 catalogue rows."""
    rows = []
    for row in read_table(spec_dir / SOURCE_31):
        fix = SOCIETY_FIX_31.get((row.edit_id, row.society))
        if fix is not None:
            row = replace(row, society=fix[0], source=fix[1])  # noqa: PLW2901
        rows.append(row)
    return deduplicate(rows, SOURCE_31)


def check(rows: list[Row], table: str) -> None:
    """Fail on a row that the gateway's loader would reject."""
    for row in rows:
        problems = []
        if not re.fullmatch(r"[A-Z]{3}", row.record_type):
            problems.append("record type")
        if row.level not in LEVELS or len(row.level) != 1:
            problems.append("level")
        if not re.fullmatch(r"\d{3}", row.number):
            problems.append("number")
        if row.society and not re.fullmatch(r"\d{3}", row.society):
            problems.append("society")
        if row.rejection not in REJECTIONS:
            problems.append("rejection")
        if not row.text:
            problems.append("text")
        if problems:
            raise SystemExit(f"{table}: bad {', '.join(problems)} in {row}")


def write(rows: list[Row], path: Path) -> None:
    """Write rows sorted by record type, level (E, G, T, R, F), number and society."""
    rows = sorted(rows, key=lambda r: (r.record_type, LEVELS.index(r.level), r.number, r.society))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(
                [
                    row.record_type,
                    row.level,
                    row.number,
                    row.society,
                    row.rejection,
                    row.text,
                    row.source,
                ]
            )
    ids = {row.edit_id for row in rows}
    print(f"{path}: {len(rows)} rows, {len(ids)} edit ids")


def main(argv: list[str] | None = None) -> int:
    """Build both catalogues."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec-dir", type=Path, default=DEFAULT_SPEC_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR)
    args = parser.parse_args(argv)
    for name, rows, table in (
        ("edits_2x.csv", build_2x(args.spec_dir), SOURCE_2X),
        ("edits_31.csv", build_31(args.spec_dir), SOURCE_31),
    ):
        check(rows, table)
        write(rows, args.out / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
