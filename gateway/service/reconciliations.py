"""Reconciliation as a service: a sister society posts a statement, the node answers.

The node reconciles against its own registrations: the works files its members submitted
through it (submissions whose sender is the node's own society, read from the blob store) and
the registration state its partners' ACKs built (society work numbers, ISWCs). The statement
itself is kept in the blob store, so the answer can always be traced to the bytes it judged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from gateway import log
from gateway.collector import collector_paused
from gateway.reconcile.engine import ReconcileOptions, Reconciler
from gateway.reconcile.fx import RateTable, load_rates
from gateway.reconcile.money import MoneyError, currency_units, parse_amount
from gateway.reconcile.registry import RegistryError, WorkRegistry, read_registrations
from gateway.reconcile.remittance import Remittance
from gateway.reconcile.result import ReconcileError, Reconciliation
from gateway.reconcile.run import add_statement
from gateway.store import Store
from gateway.store.blobs import BlobStore
from gateway.store.errors import NotFound

_OWN_STATUSES_SKIPPED = frozenset({"failed"})


@dataclass(frozen=True, slots=True)
class ReconcileRequest:
    """What the caller asked for beside the statement: the remittance and the home currency."""

    sender: str
    statement_sha: str
    file_name: str
    remittance: Remittance | None = None
    home: str | None = None


def remittance_from_query(query: dict[str, str]) -> Remittance | None:
    """The remittance given in query parameters; ReconcileError when they do not make one.

    ``remittance_amount`` and ``remittance_currency`` are needed for a remittance;
    ``remittance_date`` and ``bank_charges`` are optional.
    """
    amount = query.get("remittance_amount", "")
    currency = query.get("remittance_currency", "").strip().upper()
    if not amount:
        if currency or query.get("remittance_date") or query.get("bank_charges"):
            raise ReconcileError(
                "remittance_currency, _date and bank_charges need remittance_amount"
            )
        return None
    try:
        currency_units(currency)
        on = date.fromisoformat(query["remittance_date"]) if query.get("remittance_date") else None
        charges = query.get("bank_charges", "")
        return Remittance(
            parse_amount(amount, currency),
            on=on,
            bank_charges=parse_amount(charges, currency) if charges else None,
        )
    except (MoneyError, ValueError) as error:
        raise ReconcileError(f"bad remittance: {error}") from None


class ReconcileService:
    """Builds the node's registry and reconciles posted statements against it."""

    def __init__(
        self,
        node: str,
        store: Store,
        blobs: BlobStore,
        *,
        rates: Path | None = None,
        home: str | None = None,
    ) -> None:
        self.node = node
        self.store = store
        self.blobs = blobs
        self.rates_path = rates
        self.home = home

    def registry(self) -> WorkRegistry:
        """Our members' registrations as sent through this node, with what partners answered."""
        registry = WorkRegistry()
        for submission in self.store.list_submissions(self.node):
            if submission.status in _OWN_STATUSES_SKIPPED:
                continue
            try:
                with self.blobs.open(submission.sha256) as stream:
                    read_registrations(stream, registry, source=submission.file_name)
            except (OSError, NotFound, RegistryError):
                registry.skipped.append(f"{submission.file_name}: not a works file")
                continue
            registry.sources.append(submission.file_name)
        for row in self.store.registrations(self.node):
            registry.add_registration(row)
        return registry

    def reconcile(self, request: ReconcileRequest) -> Reconciliation:
        """Reconcile one posted statement (blocking: run it in a thread)."""
        with collector_paused():  # to the result: see gateway.reconcile.run.reconcile_files
            return self._reconcile(request)

    def _reconcile(self, request: ReconcileRequest) -> Reconciliation:
        started = time.monotonic()
        try:
            rates = load_rates(self.rates_path) if self.rates_path else RateTable()
        except MoneyError as error:
            raise ReconcileError(f"the node's rates: {error}") from None
        options = ReconcileOptions(home=request.home or self.home)
        reconciler = Reconciler(self.registry(), rates=rates, options=options)
        with self.blobs.path(request.statement_sha).open("rb") as stream:
            add_statement(reconciler, stream, source=request.file_name)
        result = reconciler.result(request.remittance)
        for statement in result.statements:
            header = statement.header
            if request.sender not in {header.sender_society, header.paying_society}:
                raise ReconcileError(
                    f"the statement {header.distribution_id} is sent by "
                    f"{header.sender_society}, not by {request.sender}"
                )
            if header.recipient_society != self.node:
                raise ReconcileError(
                    f"the statement {header.distribution_id} pays "
                    f"{header.recipient_society}, not this gateway's society {self.node}"
                )
        totals = result.totals_home
        log.emit(
            "reconcile.completed",
            node=self.node,
            sender=request.sender,
            file_name=request.file_name,
            statements=len(result.statements),
            lines=sum(s.lines for s in result.statements),
            discrepancies=len(result.discrepancies),
            currency=result.home,
            paid=str(totals.paid.amount),
            expected=str(totals.expected.amount),
            difference=str(totals.difference.amount),
            duration_ms=round((time.monotonic() - started) * 1000),
        )
        return result
