"""Comma-separated formats: distribution statements (docs/statements.md)."""

from gateway.formats.csv.statement import (
    CsvLimits,
    read_statement_csv,
    write_statement_csv,
)

__all__ = ["CsvLimits", "read_statement_csv", "write_statement_csv"]
