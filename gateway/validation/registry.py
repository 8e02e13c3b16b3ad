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
    family: str  # "2" or "3": the catalogue the identity belongs to
    applies_to: frozenset[str]
    check: RuleFunction
    rejection: str  # the default when the catalogue has no row for the edit
    text: str


_RULES: dict[tuple[str, str], Rule] = {}
# 3.x transaction types; a rule running on any of them carries a CWR22-0146 identity.
_FAMILY_3 = frozenset({"WRK", "DRW", "ISR", "ISA"})
# EXC exists in both families; its 3.x rules name 3.x edits (EXC T ...), its 2.x ones NWR edits.


def edit(
    identity: str, *applies_to: str, rejection: str = "TR", text: str = "", family: str = ""
) -> Callable[[RuleFunction], RuleFunction]:
    """Register ``check`` as the edit ``identity`` ("NWR T 012") for these transaction types.

    The family (2.x or 3.x catalogue) follows from the transaction types unless given.
    """
    kinds = frozenset(applies_to)
    family = family or ("3" if kinds & _FAMILY_3 or identity.startswith("EXC") else "2")

    def register(check: RuleFunction) -> RuleFunction:
        if (family, identity) in _RULES:
            raise ValueError(f"edit {identity} ({family}.x) is registered twice")
        _RULES[family, identity] = Rule(identity, family, kinds, check, rejection, text)
        return check

    return register


def rules_for(transaction_type: str, family: str | None = None) -> Iterator[Rule]:
    """The registered rules that run on a transaction of this type (in files of ``family``)."""
    _load()
    return (
        r
        for r in _RULES.values()
        if transaction_type in r.applies_to and (family is None or r.family == family)
    )


def implemented(family: str = "2") -> tuple[str, ...]:
    """Identities of every edit of the family's catalogue with a rule, sorted."""
    _load()
    return tuple(sorted(edit for fam, edit in _RULES if fam == family))


def _load() -> None:
    # Importing the rule modules registers their edits.
    import gateway.validation.rules  # noqa: F401, PLC0415
