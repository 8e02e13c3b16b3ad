"""A rule pack applied to findings: which survive, at which rejection, with which text."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from gateway.model import Issue
from gateway.validation.catalogue import EditId, catalogue
from gateway.validation.packs import RulePack
from gateway.validation.registry import Rule, rules_for


class Policy:
    """Wraps a :class:`RulePack`; the gateway's own ``GW`` edits are always on."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self.name = pack.key
        self._family = pack.catalogue_family
        self._enabled: dict[str, bool] = {}
        self._rules: dict[tuple[str, str], tuple[Rule, ...]] = {}

    def rules(self, transaction_type: str, family: str) -> tuple[Rule, ...]:
        """The rules that run on a transaction of this type, those the pack switches on."""
        key = (transaction_type, family)
        found = self._rules.get(key)
        if found is None:
            found = self._rules[key] = tuple(
                rule for rule in rules_for(transaction_type, family) if self.enabled(rule.edit)
            )
        return found

    def enabled(self, edit: str) -> bool:
        """Whether the pack applies this edit."""
        known = self._enabled.get(edit)
        if known is None:
            known = self._enabled[edit] = edit.startswith("GW ") or self.pack.enabled(edit)
        return known

    def apply(self, issue: Issue) -> Issue | None:
        """The issue at the pack's rejection level, or None when the pack switches it off."""
        if issue.edit.startswith("GW "):
            return issue
        key = EditId.parse(issue.edit)
        if key not in _known(self._family):
            return issue  # an edit the catalogue lacks (e.g. a 2.x number in a 3.x file)
        rejection = self.pack.rejection(key)
        if rejection is None:
            return None
        return issue if rejection == issue.rejection else replace(issue, rejection=rejection)

    def catalogue_rejection(self, edit: str) -> str | None:
        """The pack's level for a CISAC edit (None for the gateway's own or unknown edits)."""
        if edit.startswith("GW "):
            return None
        return self.pack.rejection(edit)

    def no_participation(self, edit: str) -> bool:
        """Whether failing the edit gives NP rather than RJ."""
        return not edit.startswith("GW ") and self.pack.gives_no_participation(edit)

    def text(self, edit: str) -> str:
        """The catalogue's text of the edit, or '' when it has none."""
        if edit.startswith("GW "):
            return ""
        rows = catalogue(self._family).get(EditId.parse(edit))
        return rows[0].text if rows else ""


@cache
def _known(family: str) -> frozenset[EditId]:
    return frozenset(catalogue(family))
