"""CWR record layouts per version, loaded once from the tables in ``data/``.

``cwr2x.tsv`` serves 2.1 and 2.2 (its since/until columns say which fields each holds);
``cwr30.tsv`` and ``cwr31.tsv`` serve 3.0 and 3.1. ``record_types.tsv`` says which record
types each version has and where each lands in the model.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from gateway.formats.edi.layout import FORMATS, KINDS, Field, Layout, field_kind

VERSIONS = ("2.1", "2.2", "3.0", "3.1")
_TABLES = {"2.1": "cwr2x.tsv", "2.2": "cwr2x.tsv", "3.0": "cwr30.tsv", "3.1": "cwr31.tsv"}
# Transaction and detail records start with a 19-character prefix; envelope records do not.
PREFIX_LENGTH = 19


@dataclass(frozen=True, slots=True)
class RecordType:
    """What the record-type table says of one record type."""

    code: str
    role: str  # envelope | header | detail
    versions: frozenset[str]
    model: str
    parents: tuple[str, ...]
    attribute: str
    many: bool
    description: str


@dataclass(frozen=True, slots=True)
class LayoutSet:
    """Every record layout and record type of one CWR version."""

    version: str
    layouts: dict[str, Layout]
    record_types: dict[str, RecordType]

    @property
    def major(self) -> int:
        """2 or 3: the two families differ in envelope and share model."""
        return int(self.version[0])

    def header_types(self) -> frozenset[str]:
        """Record types that open a transaction."""
        return frozenset(c for c, r in self.record_types.items() if r.role == "header")


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("gateway.formats.cwr").joinpath("data", name).read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def _in_version(version: str, since: str, until: str) -> bool:
    return (not since or since <= version) and (not until or version <= until)


@cache
def record_types() -> dict[str, RecordType]:
    """Every record type of every version, by code."""
    return {
        row["record"]: RecordType(
            code=row["record"],
            role=row["role"],
            versions=frozenset(row["versions"].split()),
            model=row["model"],
            parents=tuple(p for p in row["parents"].split() if p != "-"),
            attribute=row["attribute"],
            many=row["many"] == "n",
            description=row["description"],
        )
        for row in _rows("record_types.tsv")
    }


@cache
def layout_set(version: str) -> LayoutSet:
    """The layouts of ``version`` (one of :data:`VERSIONS`)."""
    if version not in _TABLES:
        raise ValueError(f"unknown CWR version {version!r}; known: {', '.join(VERSIONS)}")
    types = {c: r for c, r in record_types().items() if version in r.versions}
    fields: dict[str, list[Field]] = {c: [] for c in types}
    for row in _rows(_TABLES[version]):
        if not _in_version(version, row.get("since", ""), row.get("until", "")):
            continue
        fmt, kind = row["fmt"], field_kind(row["fmt"], row["kind"])
        if fmt not in FORMATS or kind not in KINDS:
            raise ValueError(f"layout table row {row} has an unknown format or kind")
        field = Field(
            name=row["field"],
            start=int(row["start"]),
            size=int(row["size"]),
            fmt=fmt,
            required=row["req"],
            kind=kind,
            lookup=row["lookup"],
        )
        for code in row["records"].split():
            if code in fields:
                fields[code].append(field)
    layouts = {
        code: Layout(code, version, tuple(sorted(fs, key=lambda f: f.start)))
        for code, fs in fields.items()
    }
    return LayoutSet(version, layouts, types)
