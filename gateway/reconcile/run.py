"""One reconciliation from files: registrations, statements, rates and the remittance received.

The command line and the service both call :func:`reconcile_files`; it tells statement formats
apart by content (the distribution XML by its root namespace, anything else is read as the
CSV statement) and turns every input it cannot use into a :class:`ReconcileError` that says
which file and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from gateway.collector import collector_paused
from gateway.formats.csv import read_statement_csv
from gateway.formats.detect import DISTRIBUTION_XML, detect_format
from gateway.formats.xml.distribution import read_statement_xml
from gateway.model import StatementRefused
from gateway.reconcile.bulk import bulk_rows
from gateway.reconcile.engine import ReconcileOptions, Reconciler
from gateway.reconcile.fx import RateTable, load_rates
from gateway.reconcile.money import MoneyError
from gateway.reconcile.quick import quick_rows
from gateway.reconcile.registry import RegistryError, WorkRegistry, load_registrations
from gateway.reconcile.remittance import Remittance
from gateway.reconcile.result import ReconcileError, Reconciliation


def reconcile_files(
    works: Iterable[str | Path],
    statements: Iterable[str | Path],
    *,
    rates: str | Path | None = None,
    remittance: Remittance | None = None,
    options: ReconcileOptions | None = None,
    registry: WorkRegistry | None = None,
) -> Reconciliation:
    """Reconcile statement files against the works (and ACK) files; see ``docs/reconciliation.md``.

    ``registry`` may already hold registrations (the service's state); the files add to it.
    """
    # Paused to the end, the result included: the reconciler's objects are freed with it when
    # this returns, so the collector never walks them (pausing only the reading leaves them all
    # to its first walk after).
    with collector_paused():
        return _reconcile_files(works, statements, rates, remittance, options, registry)


def _reconcile_files(  # noqa: PLR0917 - reconcile_files' arguments, passed on
    works: Iterable[str | Path],
    statements: Iterable[str | Path],
    rates: str | Path | None,
    remittance: Remittance | None,
    options: ReconcileOptions | None,
    registry: WorkRegistry | None,
) -> Reconciliation:
    try:
        filled = load_registrations(works, registry)
        table = load_rates(rates) if rates is not None else RateTable()
    except (RegistryError, MoneyError) as error:
        raise ReconcileError(str(error)) from None
    reconciler = Reconciler(filled, rates=table, options=options)
    for path in statements:
        name = Path(path).name
        try:
            with Path(path).open("rb") as stream:
                add_statement(reconciler, stream, source=name)
        except OSError as error:
            raise ReconcileError(f"{path}: cannot be read ({error.strerror or error})") from None
    return reconciler.result(remittance)


def add_statement(reconciler: Reconciler, stream: BinaryIO, *, source: str) -> None:
    """Read one statement (distribution XML or CSV) from ``stream`` into ``reconciler``.

    Callers pause the collector over the whole reconciliation, result included (see
    ``reconcile_files``): paused for the reading alone, it would walk every object after.
    """
    try:
        kind = detect_format(stream)
        if kind == DISTRIBUTION_XML:
            reconciler.add_statement(read_statement_xml(stream, source=source))
        elif kind.startswith("xml:"):
            raise ReconcileError(f"{source}: is {kind}, not a distribution statement")  # noqa: TRY301 - one message for every refusal below
        else:
            reconciler.add_statement(
                read_statement_csv(
                    stream, source=source, quick=quick_rows(reconciler), bulk=bulk_rows(reconciler)
                )
            )
    except StatementRefused as refusal:
        raise ReconcileError(f"{source}: {refusal}") from None
    except ReconcileError as error:
        message = str(error)
        raise ReconcileError(
            message if message.startswith(source) else f"{source}: {message}"
        ) from None
