"""Transaction edits as registered functions, each under its CISAC identity.

A rule is a pure function from a transaction's header record to the findings of one edit::

    @edit("NWR T 012", "NWR", "REV", "ISW")
    def _needs_a_writer(work: Work) -> Iterator[Finding]: ...

The engine runs every registered rule the receiver's pack enables; ``implemented()`` lists
them for the catalogue report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from gateway.model import Record


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule found: the record it is about and, when it helps, the field and value."""

    record: Record
    text: str = ""
    field: str | None = None
    value: str | None = None


RuleFunction = Callable[[Any], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered edit: its identity, the header record types it runs on, its function."""

    edit: str
    applies_to: frozenset[str]
    check: RuleFunction
    rejection: str  # the default when the catalogue has no row for the edit
    text: str


_RULES: dict[str, Rule] = {}


def edit(
    identity: str, *applies_to: str, rejection: str = "TR", text: str = ""
) -> Callable[[RuleFunction], RuleFunction]:
    """Register ``check`` as the edit ``identity`` ("NWR T 012") for these transaction types."""

    def register(check: RuleFunction) -> RuleFunction:
        if identity in _RULES:
            raise ValueError(f"edit {identity} is registered twice")
        _RULES[identity] = Rule(identity, frozenset(applies_to), check, rejection, text)
        return check

    return register


def rules_for(transaction_type: str) -> Iterator[Rule]:
    """The registered rules that run on a transaction of this type."""
    _load()
    return (r for r in _RULES.values() if transaction_type in r.applies_to)


def implemented() -> tuple[str, ...]:
    """Identities of every edit with a rule, sorted."""
    _load()
    return tuple(sorted(_RULES))


def _load() -> None:
    # Importing the rule modules registers their edits.
    import gateway.validation.rules  # noqa: F401, PLC0415
