"""Fixed-width record layouts: one table row per field, interpreted once.

A :class:`Layout` is data (name, positions, types); :func:`compile_layout` turns it
into a slicer and a formatter so the hot loop pays for nothing but the slices.
"""

from __future__ import annotations

from dataclasses import dataclass

# Field formats of the CISAC EDI specifications (A alphanumeric, N numeric, D date,
# T time, B boolean, F flag, L lookup, S international standard: 3.x).
FORMATS = frozenset("ANDTBFLS")
# How a field's text becomes a model value.
KINDS = frozenset({"str", "int", "share", "date", "time", "filler"})
_DEFAULT_KIND = {"N": "int", "D": "date", "T": "time"}


@dataclass(frozen=True, slots=True)
class Field:
    """One fixed-width field: where it sits, what it holds, what may fill it."""

    name: str
    start: int  # 1-based, as the specifications print it
    size: int
    fmt: str
    required: str  # M mandatory, C conditional, O optional
    kind: str
    lookup: str = ""

    @property
    def offset(self) -> int:
        """0-based index of the field's first character."""
        return self.start - 1

    @property
    def end(self) -> int:
        """0-based index one past the field's last character."""
        return self.start - 1 + self.size

    @property
    def in_model(self) -> bool:
        """Whether the canonical model holds this field (fillers and constants are not)."""
        return self.kind != "filler"


def field_kind(fmt: str, kind: str) -> str:
    """Resolve a table's kind column: blank means the default for the format."""
    return kind or _DEFAULT_KIND.get(fmt, "str")


@dataclass(frozen=True, slots=True)
class Layout:
    """All fields of one record type in one version, in position order."""

    record_type: str
    version: str
    fields: tuple[Field, ...]

    @property
    def length(self) -> int:
        """The record length the specification demands."""
        return max(f.end for f in self.fields) if self.fields else 3

    def field(self, name: str) -> Field:
        """The field called ``name`` (KeyError when the layout lacks it)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.record_type} {self.version} has no field {name!r}")

    def position(self, name: str) -> tuple[int, int] | None:
        """A field's 1-based start and size, or None when the layout has no such field."""
        for f in self.fields:
            if f.name == name:
                return f.start, f.size
        return None

    @property
    def model_fields(self) -> tuple[Field, ...]:
        """Fields the canonical model holds."""
        return tuple(f for f in self.fields if f.in_model)

    def slices(self, line: str) -> list[str]:
        """Every model field's text, right-padded so a trimmed record still slices."""
        if len(line) < self.length:
            line = line.ljust(self.length)
        return [line[f.offset : f.end] for f in self.model_fields]
