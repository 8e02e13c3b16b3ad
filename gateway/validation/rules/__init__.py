"""Transaction, record and identifier edits; importing this package registers them all."""

from gateway.validation.rules import (
    agreements,
    chains,
    identifiers,
    shares,
    societies,
    works3,
    writers,
)

__all__ = ["agreements", "chains", "identifiers", "shares", "societies", "works3", "writers"]
