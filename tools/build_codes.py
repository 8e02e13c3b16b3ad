"""Build the code tables in ``gateway/codes/data/`` from the public reference files.

Run by hand when a reference table changes, then commit the output::

    .venv/bin/python tools/build_codes.py [REFERENCE_DIR] [--out DIR]

REFERENCE_DIR defaults to ``../shared/reference`` beside the repository. Every output file is
UTF-8, tab-separated, with ``#`` comment lines naming its sources and then a header row; the
output is sorted, so a rebuild from the same inputs is byte-identical.
"""

from __future__ import annotations

import argparse
import csv
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = _REPO.parent / "shared" / "reference"
DEFAULT_OUT = _REPO / "gateway" / "codes" / "data"

# CWR 2.x lookup table names (column table_name) -> our table names. Rows whose table name is
# not listed here (continuation lines, the Society Code subset) are not taken from this file.
_CWR2_TABLES = {
    "Agreement Role Code": "agreement_role",
    "Agreement Type": "agreement_type",
    "BIEM/CISAC Media Type": "media_type",
    "BLTVR (Background, Logo, Theme, Visual, Rolled up Cue)": "bltvr",
    "CIS Language Code": "language",
    "Composite Type": "composite_type",
    "CWR Work Type": "cwr_work_type",
    "Excerpt Type": "excerpt_type",
    "Instrument": "instrument",
    "Intended Purpose": "intended_purpose",
    "Lyric Adaptation": "lyric_adaptation",
    "Music Arrangement": "music_arrangement",
    "Musical Work Distribution Category": "distribution_category",
    "Publisher Type": "publisher_type",
    "Recording Technique": "recording_technique",
    "Special Agreement Indicator": "special_agreement",
    "Standard Instrumentation": "standard_instrumentation",
    "Subject Codes": "subject_code",
    "Text Music Relationship": "text_music_relationship",
    "Title Type": "title_type",
    "Transaction Status": "transaction_status",
    "Transaction Type": "transaction_type",
    "Type of Right": "right_type",
    "USA License Indicator": "usa_license",
    "Version Type": "version_type",
    "Writer Designation": "writer_designation",
}

# Kept in the 2.x table "for historical reference" only: not valid in a CWR file any more.
_RETIRED = frozenset({("transaction_type", "COP")})

# CWR 3.1 lookup sheets (file name suffix) -> our table names.
_CWR31_SHEETS = {
    "AgreementType": "agreement_type",
    "BLTVR": "bltvr",
    "CharacterSet": "character_set",
    "CompositeType": "composite_type",
    "DialectCode": "dialect",
    "ExcerptType": "excerpt_type",
    "IdentifierType": "identifier_type",
    "IdentifierValidity": "identifier_validity",
    "InclusionExclusionIndicator": "inclusion_exclusion",
    "InstrumentCode": "instrument",
    "IntendedPurpose": "intended_purpose",
    "ISRCValidityIndicator": "isrc_validity",
    "LanguageCode": "language",
    "LyricAdaptation": "lyric_adaptation",
    "MessageLevel": "message_level",
    "MessageType": "message_type",
    "MusicArrangement": "music_arrangement",
    "MusicalWorkDistributionCategory": "distribution_category",
    "PublisherRole": "publisher_type",
    "ScriptCode": "script_code",
    "SpecialAgreementIndicaIndicator": "special_agreement",
    "StandardInstrumentationType": "standard_instrumentation",
    "SubjectCode": "subject_code",
    "TextMusicRelationship": "text_music_relationship",
    "TitleType": "title_type",
    "TransactionStatus": "transaction_status",
    "TransactionType": "transaction_type",
    "USALicenseIndicator": "usa_license",
    "VersionType": "version_type",
    "WriterRole": "writer_designation",
}
# The 3.1 sheet leaves these codes blank; the 3.1 user manual (CWR22-0147 §5.1.12-13) names them.
_CWR31_MISSING_CODES = {
    ("transaction_status", "No Society Agreement Number"): "NA",
    ("transaction_status", "Wrong Society Agreement Number"): "WA",
}
# ISO codes are written in lower or title case, but CWR data must be upper case (3.1 §2.1).
_UPPER_CASED = frozenset({"dialect", "script_code"})
# CWR 2.1/2.2 HDR edit 14: "Traditional [Big5] or Simplified [GB] or ... UTF-8".
_CWR2_CHARACTER_SETS = (
    ("Big5", "Traditional [Big5]", "CWR 2.1/2.2 HDR: Traditional Chinese"),
    ("GB", "Simplified [GB]", "CWR 2.1/2.2 HDR: Simplified Chinese"),
    ("UTF-8", "Unicode UTF-8", "CWR 2.1/2.2 HDR: a value from the Unicode table"),
)
# Codes CWR uses that the CISAC society list (SG26-0077) does not hold (CWR08-3615R1).
_CWR_ONLY_SOCIETIES = (("000", "DP (Public Domain)"), ("099", "NS (No Society)"))

# ISO 3166-1 alpha-2, officially assigned (ISO/TC 46 N1108, 2023-04-05; as in tzdata's
# public-domain iso3166.tab), plus the ISRC-only prefixes named in identifiers/ALGORITHMS.md
# and the further US allocations QN, QO, QP and QT.
_ISO3166_ALPHA2 = """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ
EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW
GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY
KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV
MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY
QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG
TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM
ZW
"""
_ISRC_ONLY_PREFIXES = {
    "FX": "ISRC prefix (France)",
    "GX": "ISRC prefix",
    "QM": "ISRC prefix (United States)",
    "QN": "ISRC prefix (United States)",
    "QO": "ISRC prefix (United States)",
    "QP": "ISRC prefix (United States)",
    "QT": "ISRC prefix (United States)",
    "QZ": "ISRC prefix (United States)",
    "UK": "ISRC prefix (United Kingdom, before GB)",
    "ZZ": "ISRC prefix (International ISRC Agency)",
}


@dataclass
class _Table:
    """One lookup table being assembled: code -> [description, definition]."""

    sources: list[str] = field(default_factory=list)
    rows: dict[str, list[str]] = field(default_factory=dict)

    def add(self, code: str, description: str, definition: str) -> None:
        """Add a code, or fill in the blank texts of one already there."""
        have = self.rows.setdefault(code, ["", ""])
        for i, text in enumerate((description, definition)):
            if not have[i]:
                have[i] = text


def _clean(text: str) -> str:
    """Collapse runs of white space (line breaks, no-break spaces) to one space."""
    return " ".join(text.replace("\u00a0", " ").split())


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            {(k or "").strip(): (v or "") for k, v in row.items()} for row in csv.DictReader(handle)
        ]


def _iso_date(text: str) -> str:
    """A date as yyyy-mm-dd, from the spreadsheet forms the sources use; "" when not a date."""
    text = text.strip()
    try:
        if m := re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})", text):
            return date(int(m[3]), int(m[2]), int(m[1])).isoformat()
        if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?: 00:00:00)?", text):
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return ""
    if re.fullmatch(r"\d{5}", text):  # an Excel serial day number left in a text column
        return (date(1899, 12, 30) + timedelta(days=int(text))).isoformat()
    return ""


def _write(path: Path, notes: list[str], header: list[str], rows: list[list[str]]) -> None:
    lines = [f"# {note}" for note in notes]
    lines.append("\t".join(header))
    for row in rows:
        if any("\t" in cell or "\n" in cell for cell in row) or row[0].startswith("#"):
            raise ValueError(f"{path.name}: a cell cannot be written as TSV: {row}")
        lines.append("\t".join(row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _lookups(ref: Path) -> dict[str, _Table]:
    tables: dict[str, _Table] = {}
    cwr2 = "cwr/cwr_lookup_tables_CWR08-3615R1_2021-09-16.csv"
    for row in _read_csv(ref / cwr2):
        name = _CWR2_TABLES.get(row["table_name"])
        code = row["code"].strip()
        if name is None or not code or code.startswith("[") or (name, code) in _RETIRED:
            continue  # "[blank]" means "leave the field empty"
        table = tables.setdefault(name, _Table())
        if cwr2 not in table.sources:
            table.sources.append(cwr2)
        table.add(code, _clean(row["description"]), _clean(row["definition"]))
    for path in sorted((ref / "cwr/spec/cwr31_lookups").glob("*.csv")):
        name = _CWR31_SHEETS.get(path.stem.rsplit("_L_", 1)[-1])
        if name is None:
            continue
        table = tables.setdefault(name, _Table())
        table.sources.append(str(path.relative_to(ref)))
        for row in _read_csv(path):
            _add_cwr31_row(name, table, row)
    tables["character_set"].sources.append("CWR 2.1 Rev 8 / 2.2 Rev 2 HDR edit 14")
    for code, description, definition in _CWR2_CHARACTER_SETS:
        tables["character_set"].add(code, description, definition)
    return tables


def _add_cwr31_row(name: str, table: _Table, row: dict[str, str]) -> None:
    first, *others = row
    if name == "inclusion_exclusion":  # this sheet has the code first
        code, description, definition = row[first], row[others[0]], ""
    else:
        code = row.get("Code", row.get("Subject Code", ""))
        description = row[first]
        definition = next((row[k] for k in ("Description", "Note") if k in others), "")
    description, definition = _clean(description), _clean(definition)
    code = _clean(code) or _CWR31_MISSING_CODES.get((name, description), "")
    if not code:  # blank rows and continuation lines of the cell above
        return
    table.add(code.upper() if name in _UPPER_CASED else code, description, definition)


def _societies(ref: Path) -> list[list[str]]:
    rows = {
        f"{int(r['CISAC Code']):03d}": [
            _clean(r["Society name"]),
            _clean(r["Country"]),
            _clean(r["Membership status"]),
        ]
        for r in _read_csv(ref / "societies/cisac_societies_SG26-0077_2026-07-06.csv")
    }
    for code, name in _CWR_ONLY_SOCIETIES:
        rows.setdefault(code, [name, "", "CWR only"])
    return [[code, *rows[code]] for code in sorted(rows)]


def _territories(ref: Path) -> list[list[str]]:
    best: dict[str, dict[str, str]] = {}
    for r in _read_csv(ref / "territories/tis_list_music-metadata-territories-24.12.csv"):
        code = f"{int(r['TIS-N']):04d}"
        # Renamed territories have one row per name: keep the row of the newest name.
        if code not in best or _iso_date(r["Name until"]) > _iso_date(best[code]["Name until"]):
            best[code] = r
    return [
        [
            code,
            r["Type"].strip(),
            r["TIS-A"].strip(),
            _clean(r["Name"]),
            _iso_date(r["Exists from"]),
            _iso_date(r["Exists until"]),
        ]
        for code, r in sorted(best.items())
    ]


def _members(ref: Path) -> list[list[str]]:
    """Direct group -> member links, from the top-down tree (a member's parent is above it)."""
    links: set[tuple[str, str, str, str]] = set()
    parents: list[str] = []
    for r in _read_csv(ref / "territories/tis_tree_music-metadata-territories-24.12.csv"):
        level, code = int(r["Level"]), f"{int(r['TIS-N']):04d}"
        del parents[level - 1 :]
        if parents:
            start, end = _iso_date(r["Belongs to from"]), _iso_date(r["Belongs to until"])
            links.add((parents[-1], code, start, end))
        parents.append(code)
    return [list(link) for link in sorted(links)]


def _currencies(ref: Path) -> list[list[str]]:
    rows: dict[str, list[str]] = {}
    for r in _read_csv(ref / "currency/iso4217_list_one_2026-01-01.csv"):
        code = r["alpha_code"].strip()
        if code:  # "No universal currency" rows have none
            units = r["minor_units"].strip()  # "N.A." for gold, SDR and the like
            name = _clean(r["currency_name"])
            rows[code] = [r["numeric_code"].strip(), units if units.isdigit() else "", name]
    return [[code, *rows[code]] for code in sorted(rows)]


def _ipi_name_number(text: str) -> str:
    """An IPI name number as 11 digits; the sheet drops leading zeros and once adds one."""
    digits = re.sub(r"\D", "", text)
    if len(digits) > 11:
        digits = digits.lstrip("0")
    return digits.zfill(11) if digits else ""


def _senders(ref: Path) -> list[list[str]]:
    rows = [
        [
            _clean(r["submitter_code"]).upper(),
            _ipi_name_number(r["submitter_number_ipi_name"]),
            _clean(r["publisher"]),
            _iso_date(r["start_date"]),
            _iso_date(r["end_date"]),  # the sheet keeps notes here too; only dates are kept
        ]
        for r in _read_csv(ref / "cwr/cwr_sender_ids_CWR06-1972_2026-05-22.csv")
    ]
    return sorted(rows)


def build(ref: Path, out: Path) -> dict[str, int]:
    """Write every table under ``out`` and return the row count of each."""
    lookup_dir = out / "lookups"
    lookup_dir.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("*.tsv"), *lookup_dir.glob("*.tsv")]:
        old.unlink()
    counts: dict[str, int] = {}
    made_by = "Generated by tools/build_codes.py; do not edit by hand."

    def emit(path: Path, sources: list[str], header: list[str], rows: list[list[str]]) -> None:
        _write(path, [made_by, *(f"source: {s}" for s in sources)], header, rows)
        counts[str(path.relative_to(out))] = len(rows)

    for name, table in sorted(_lookups(ref).items()):
        rows = [[code, *texts] for code, texts in sorted(table.rows.items())]
        emit(lookup_dir / f"{name}.tsv", table.sources, ["code", "description", "definition"], rows)
    isrc = [[c, "ISO 3166-1 alpha-2"] for c in _ISO3166_ALPHA2.split()]
    isrc += [[c, d] for c, d in _ISRC_ONLY_PREFIXES.items()]
    emit(
        lookup_dir / "isrc_country.tsv",
        ["ISO 3166-1 alpha-2 (tzdata iso3166.tab)", "ISRC prefixes: identifiers/ALGORITHMS.md"],
        ["code", "description", "definition"],
        [[c, d, ""] for c, d in sorted(isrc)],
    )
    emit(
        out / "societies.tsv",
        ["societies/cisac_societies_SG26-0077_2026-07-06.csv", "CWR08-3615R1 (000, 099)"],
        ["code", "name", "country", "status"],
        _societies(ref),
    )
    tis = "territories/tis_list_music-metadata-territories-24.12.csv"
    emit(
        out / "territories.tsv",
        [tis],
        ["code", "kind", "alpha2", "name", "valid_from", "valid_to"],
        _territories(ref),
    )
    emit(
        out / "territory_members.tsv",
        ["territories/tis_tree_music-metadata-territories-24.12.csv"],
        ["group", "member", "valid_from", "valid_to"],
        _members(ref),
    )
    emit(
        out / "currencies.tsv",
        ["currency/iso4217_list_one_2026-01-01.csv (minor_units blank = N.A.)"],
        ["code", "numeric", "minor_units", "name"],
        _currencies(ref),
    )
    emit(
        out / "senders.tsv",
        ["cwr/cwr_sender_ids_CWR06-1972_2026-05-22.csv (dates that are not dates dropped)"],
        ["code", "ipi_name_number", "name", "valid_from", "valid_to"],
        _senders(ref),
    )
    return counts


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, build the tables and print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", nargs="?", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    for name, count in sorted(build(args.reference, args.out).items()):
        print(f"{count:6d}  {name}")


if __name__ == "__main__":
    main()
