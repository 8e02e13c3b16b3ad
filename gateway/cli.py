"""The ``gateway`` command: validate, translate, acknowledge, reconcile; serve a node; the demo.

Exit status (DESIGN contract): 0 accepted / succeeded, 1 the input was rejected in whole or
in part, 2 the command could not run. Reports go to stdout or ``-o FILE``; progress to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO, get_args

from gateway import codes
from gateway.formats.cwr.layouts import VERSIONS
from gateway.formats.translate import XML, XmlTarget, translate
from gateway.formats.xml.ack import AckContext, write_ack_xml
from gateway.reconcile.claims import write_claims
from gateway.reconcile.engine import ReconcileOptions
from gateway.reconcile.match import DEFAULT_THRESHOLD
from gateway.reconcile.money import MoneyError, currency_units, parse_amount
from gateway.reconcile.remittance import Remittance
from gateway.reconcile.result import ReconcileError
from gateway.reconcile.run import reconcile_files
from gateway.reports import render_html, render_text
from gateway.reports.reconciliation import render_reconciliation_csv, render_reconciliation_html
from gateway.store.rows import DeliveryState
from gateway.validation.acknowledge import write_ack
from gateway.validation.coverage import coverage
from gateway.validation.engine import validate
from gateway.validation.packs import load_pack, packs

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from gateway.formats.translate import TranslationResult
    from gateway.service.dead_letters import Outbox
    from gateway.validation.report import Report

OK, REJECTED, CANNOT_RUN = 0, 1, 2
TARGETS = {f"cwr{v.replace('.', '')}": v for v in VERSIONS} | {"xml": XML}
PROGRESS_EVERY = 50_000  # transactions between progress lines
LARGE_FILE = 5 * 1024 * 1024  # bytes from which progress is shown


class UsageError(Exception):
    """A command line or input the command cannot work with (exit 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.run(args)
    except UsageError as error:
        print(f"gateway: {error}", file=sys.stderr)
        return CANNOT_RUN
    except OSError as error:
        print(
            f"gateway: {error.strerror or error}: {error.filename or ''}".rstrip(": "),
            file=sys.stderr,
        )
        return CANNOT_RUN
    except KeyboardInterrupt:
        return CANNOT_RUN
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gateway",
        description="Society Exchange Gateway: validate, translate and acknowledge CWR files.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    v = commands.add_parser("validate", help="validate a CWR file and report every finding")
    v.add_argument("file", type=Path, help="the CWR file (2.1, 2.2, 3.0 or 3.1)")
    v.add_argument(
        "--format", choices=("text", "json", "html"), default="text", help="report format"
    )
    v.add_argument("-o", "--output", type=Path, help="write the report here instead of stdout")
    v.add_argument(
        "--society",
        default="cisac",
        help=f"receiving society's rule pack: {', '.join(packs())} or a society code",
    )
    v.set_defaults(run=_validate)

    t = commands.add_parser(
        "translate", help="re-encode a CWR or works XML file as another CWR version or as XML"
    )
    t.add_argument("file", type=Path, help="the CWR or works XML file to translate")
    t.add_argument(
        "--to", required=True, choices=sorted(TARGETS), help="target CWR version, or xml"
    )
    t.add_argument("--sender", help="XML target: the sending society's code (default: from HDR)")
    t.add_argument(
        "--recipient", action="append", help="XML target: a receiving society's code (repeatable)"
    )
    t.add_argument("-o", "--output", type=Path, help="write the translation here instead of stdout")
    t.add_argument(
        "--losses", type=Path, help="write the loss report (JSON) here; a summary goes to stderr"
    )
    t.set_defaults(run=_translate)

    a = commands.add_parser(
        "ack", help="answer a CWR or works XML file with the acknowledgement a society would send"
    )
    a.add_argument("file", type=Path, help="the received CWR or works XML file")
    a.add_argument(
        "--society", required=True, help="the acknowledging society's code (e.g. 052) or pack name"
    )
    a.add_argument(
        "--format",
        choices=("cwr", "xml"),
        help="CWR ACK file or ack XML (default: cwr for CWR input, xml for XML input)",
    )
    a.add_argument("-o", "--output", type=Path, help="write the ACK file here instead of stdout")
    a.set_defaults(run=_ack)

    s = commands.add_parser("serve", help="run a gateway node: HTTP API, deliveries, pulls")
    s.add_argument("--config", type=Path, required=True, help="the node's configuration (TOML)")
    s.set_defaults(run=_serve)

    d = commands.add_parser(
        "demo", help="three societies exchanging a file end to end on loopback (MCSC, PRS, GEMA)"
    )
    d.add_argument(
        "--workdir", type=Path, help="keep the nodes' data here (default: a new temp dir)"
    )
    d.set_defaults(run=_demo)

    r = commands.add_parser(
        "reconcile",
        help="reconcile distribution statements with registered works, paid against expected",
    )
    r.add_argument(
        "--works",
        nargs="+",
        type=Path,
        required=True,
        metavar="FILE",
        help="registrations: CWR or works XML files, and ACK files (CWR or ack XML)",
    )
    r.add_argument(
        "--statement",
        nargs="+",
        type=Path,
        required=True,
        metavar="FILE",
        help="distribution statements: distribution XML or CSV",
    )
    r.add_argument(
        "--remittance",
        nargs=2,
        metavar=("AMOUNT", "CURRENCY"),
        help="the money received for these statements (after bank charges)",
    )
    r.add_argument("--remittance-date", help="value date of the remittance (YYYY-MM-DD)")
    r.add_argument(
        "--bank-charges", metavar="AMOUNT", help="what the banks kept, in the remittance currency"
    )
    r.add_argument("--rates", type=Path, help="FX rates CSV: date,from,to,rate,source")
    r.add_argument("--home", metavar="CURRENCY", help="home currency (default: the statements')")
    r.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"fuzzy title+name score a match needs, 0-100 (default {DEFAULT_THRESHOLD:g})",
    )
    r.add_argument(
        "--format", choices=("json", "csv", "html"), default="json", help="report format"
    )
    r.add_argument("-o", "--output", type=Path, help="write the report here instead of stdout")
    r.add_argument(
        "--claims", type=Path, metavar="DIR", help="write claims-SOCIETY.csv files into DIR"
    )
    r.set_defaults(run=_reconcile)

    _add_deliveries(commands)

    e = commands.add_parser("edits", help="list the CISAC edits and which ones the gateway checks")
    e.add_argument("--family", choices=("2", "3"), default="2", help="2.x or 3.x edit catalogue")
    e.add_argument("--format", choices=("text", "json"), default="text", help="listing format")
    e.add_argument("--missing", action="store_true", help="list only the edits not implemented")
    e.set_defaults(run=_edits)
    return parser


def _add_deliveries(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``gateway deliveries list|retry``: a node's outbox and its dead letters."""
    parser = commands.add_parser(
        "deliveries", help="list a node's outbox deliveries and retry its dead letters"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list the node's deliveries, oldest first")
    _add_config_option(listing)
    listing.add_argument("--state", choices=get_args(DeliveryState), help="only in this state")
    listing.add_argument("--recipient", metavar="SOC", help="only to this society code")
    listing.add_argument(
        "--format", choices=("text", "json"), default="text", help="listing format"
    )
    listing.set_defaults(run=_deliveries_list)
    retry = actions.add_parser("retry", help="put dead deliveries back in the queue")
    _add_config_option(retry)
    retry.add_argument("ids", nargs="*", metavar="ID", help="the dead deliveries to requeue")
    retry.add_argument("--all-dead", action="store_true", help="requeue every dead delivery")
    retry.add_argument("--recipient", metavar="SOC", help="only deliveries to this society code")
    retry.set_defaults(run=_deliveries_retry)


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        required=True,
        metavar="NODE.toml",
        help="the node's configuration (TOML)",
    )


def _open_input(path: Path) -> BinaryIO:
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    return path.open("rb")


def _progress(path: Path) -> Callable[[int], None] | None:
    if path.stat().st_size < LARGE_FILE:
        return None

    def show(transactions: int) -> None:
        if transactions % PROGRESS_EVERY == 0:
            print(f"gateway: {transactions:,} transactions validated", file=sys.stderr, flush=True)

    return show


def _run_validation(path: Path, society: str) -> Report:
    with _open_input(path) as stream:
        try:
            return validate(stream, source=path.name, pack=society, progress=_progress(path))
        except ValueError as error:  # an unknown rule pack or society
            raise UsageError(str(error)) from error


def _validate(args: argparse.Namespace) -> int:
    report = _run_validation(args.file, args.society)
    try:
        if args.format == "json":
            text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
        elif args.format == "html":
            text = render_html(report)
        else:
            text = render_text(report)
        _write_text(args.output, text)
    finally:
        report.transactions.close()
    return OK if report.status == "accepted" else REJECTED


def _translate(args: argparse.Namespace) -> int:
    with _open_input(args.file) as source, ExitStack() as stack:
        target: BinaryIO = (
            stack.enter_context(args.output.open("wb")) if args.output else sys.stdout.buffer
        )
        xml = XmlTarget(sender=args.sender, recipients=tuple(args.recipient or ()))
        result = translate(source, target, TARGETS[args.to], xml=xml)
    if result.refused is not None:
        if args.output:
            args.output.unlink(missing_ok=True)
        where = f" (line {result.refused.line})" if result.refused.line else ""
        print(
            f"gateway: {args.file} cannot be translated: {result.refused.text}{where}",
            file=sys.stderr,
        )
        return REJECTED
    if not result.source_version:
        raise UsageError(
            f"{args.file} cannot be translated: "
            f"{result.issues[0].text if result.issues else 'no transmission header'}"
        )
    losses = [asdict(loss) for loss in result.losses]
    if args.losses:
        args.losses.write_text(
            json.dumps(
                {
                    "source_version": result.source_version,
                    "target_version": result.target_version,
                    "transactions": result.transactions,
                    "losses": losses,
                },
                indent=2,
            )
            + "\n"
        )
    print(
        f"gateway: translated {result.transactions} transactions from {_source(result)} "
        f"to {_target(result.target_version)}; "
        f"{len(result.losses)} field(s) the target cannot hold",
        file=sys.stderr,
    )
    for loss in result.losses[:20]:
        where = f"group {loss.group} transaction {loss.transaction}" if loss.group else "header"
        print(
            f"  lost: {where} {loss.record_type} {loss.field or '(record)'}"
            f" = {loss.value!r}: {loss.reason}",
            file=sys.stderr,
        )
    return OK


def _source(result: TranslationResult) -> str:
    if result.source_format == "cwr":
        return f"CWR {result.source_version}"
    return f"works XML (CWR {result.source_version} semantics)"


def _target(version: str) -> str:
    return "works XML" if version == XML else f"CWR {version}"


def _ack(args: argparse.Namespace) -> int:
    report = _run_validation(args.file, args.society)
    kind = args.format or ("cwr" if report.format == "cwr" else "xml")
    if kind == "cwr" and report.format != "cwr":
        report.transactions.close()
        raise UsageError("a CWR ACK answers a CWR file; use --format xml for an XML input")
    try:
        with _open_input(args.file) as original, ExitStack() as stack:
            out: BinaryIO = (
                stack.enter_context(args.output.open("wb")) if args.output else sys.stdout.buffer
            )
            society = _society_code(args.society)
            if kind == "xml":
                context = AckContext(
                    society=society,
                    recipient=_original_sender(report),
                    file_name=args.file.name,
                    sha256=_sha256(original),
                )
                count = write_ack_xml(report, out, context)
            else:
                count = write_ack(original, report, out, society=society)
    finally:
        report.transactions.close()
    print(f"gateway: {count} ACK transaction(s); file {report.status}", file=sys.stderr)
    return OK if report.status == "accepted" else REJECTED


def _serve(args: argparse.Namespace) -> int:
    from gateway import log  # noqa: PLC0415 - the service's imports only when serving
    from gateway.service.config import ConfigError, load_config  # noqa: PLC0415
    from gateway.service.node import serve  # noqa: PLC0415

    log.configure()
    try:
        asyncio.run(serve(load_config(args.config)))
    except (ConfigError, ValueError) as error:
        raise UsageError(str(error)) from error
    return OK


def _deliveries_list(args: argparse.Namespace) -> int:
    from gateway.service import dead_letters  # noqa: PLC0415 - the service's imports only here

    with _outbox(args.config) as outbox:
        found = dead_letters.list_deliveries(
            outbox.store, state=args.state, recipient=args.recipient
        )
    if args.format == "json":
        records = [dead_letters.delivery_record(delivery) for delivery in found]
        sys.stdout.write(json.dumps(records, indent=2) + "\n")
    else:
        sys.stdout.writelines(dead_letters.delivery_line(d) + "\n" for d in found)
    return OK


def _deliveries_retry(args: argparse.Namespace) -> int:
    from gateway.service import dead_letters  # noqa: PLC0415 - the service's imports only here
    from gateway.store.sqlite import utc_now  # noqa: PLC0415

    if bool(args.ids) == args.all_dead:
        raise UsageError("deliveries retry takes delivery ids or --all-dead (one of the two)")
    with _outbox(args.config) as outbox:
        result = dead_letters.retry_dead(
            outbox, utc_now(), delivery_ids=args.ids or None, recipient=args.recipient
        )
    sys.stdout.writelines(line + "\n" for line in dead_letters.retry_lines(result))
    if not result.requeued and not result.refused:
        print("gateway: no dead deliveries to requeue", file=sys.stderr)
    return OK if result.complete else REJECTED


@contextmanager
def _outbox(config: Path) -> Iterator[Outbox]:
    """A node's outbox, its log events on stderr (stdout is the command's report)."""
    from gateway import log  # noqa: PLC0415 - the service's imports only when needed
    from gateway.service.dead_letters import OutboxError, open_outbox  # noqa: PLC0415

    log.configure(stream=sys.stderr)
    try:
        with open_outbox(config) as outbox:
            yield outbox
    except OutboxError as error:
        raise UsageError(str(error)) from error


def _demo(args: argparse.Namespace) -> int:
    from gateway.service import demo  # noqa: PLC0415 - the service's imports only for the demo

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="gateway-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    return demo.main(workdir)


def _edits(args: argparse.Namespace) -> int:
    rows = coverage(args.family)
    done = sum(1 for r in rows if r.implemented_by)
    shown = [r for r in rows if not (args.missing and r.implemented_by)]
    if args.format == "json":
        payload = {
            "family": args.family,
            "edits": len(rows),
            "implemented": done,
            "rows": [asdict(r) for r in shown],
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return OK
    for r in shown:
        society = f" soc {r.society}" if r.society else ""
        sys.stdout.write(
            f"{r.edit}  {r.rejection}  {r.implemented_by or '-':<11} {r.text[:70]}{society}\n"
        )
    sys.stdout.write(f"{done} of {len(rows)} CWR {args.family}.x edits implemented\n")
    return OK


def _reconcile(args: argparse.Namespace) -> int:
    for path in (*args.works, *args.statement, *([args.rates] if args.rates else [])):
        if not path.is_file():
            raise UsageError(f"no such file: {path}")
    try:
        options = ReconcileOptions(home=_currency(args.home), threshold=args.threshold)
        result = reconcile_files(
            args.works,
            args.statement,
            rates=args.rates,
            remittance=_remittance(args),
            options=options,
        )
    except (ReconcileError, MoneyError) as error:
        raise UsageError(str(error)) from None
    if args.format == "json":
        text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    elif args.format == "csv":
        text = render_reconciliation_csv(result)
    else:
        text = render_reconciliation_html(result)
    _write_text(args.output, text)
    if args.claims is not None:
        for path in write_claims(result, args.claims):
            print(f"claims: {path}", file=sys.stderr)
    counts = {kind: n for kind, n in result.counts().items() if n}
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "no discrepancies"
    totals = result.totals_home
    print(
        f"reconcile: paid {totals.paid}, expected {totals.expected}, "
        f"difference {totals.difference}; {summary}",
        file=sys.stderr,
    )
    return OK if result.reconciled else REJECTED


def _currency(code: str | None) -> str | None:
    if code is None:
        return None
    currency_units(code.strip().upper())  # refuses an unknown code with a clear message
    return code.strip().upper()


def _remittance(args: argparse.Namespace) -> Remittance | None:
    if args.remittance is None:
        if args.remittance_date or args.bank_charges:
            raise UsageError("--remittance-date and --bank-charges need --remittance")
        return None
    amount_text, currency = args.remittance
    currency = _currency(currency) or ""
    on = None
    if args.remittance_date:
        try:
            on = date.fromisoformat(args.remittance_date)
        except ValueError:
            raise UsageError(
                f"--remittance-date {args.remittance_date!r} is not a date (YYYY-MM-DD)"
            ) from None
    charges = parse_amount(args.bank_charges, currency) if args.bank_charges else None
    return Remittance(parse_amount(amount_text, currency), on=on, bank_charges=charges)


def _sha256(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _original_sender(report: Report) -> str:
    """The society that sent the acknowledged file (000 when a publisher did)."""
    header = report.header
    code = str(header.get("sender_code") or header.get("sender_id") or "")
    return codes.sending_society(str(header.get("sender_type", "")), code)


def _society_code(value: str) -> str:
    if value.isdigit():
        return value.zfill(3)
    societies = load_pack(value).societies
    return next(iter(societies), "000")


def _write_text(path: Path | None, text: str) -> None:
    out: IO[str]
    if path is None:
        sys.stdout.write(text)
        return
    with path.open("w", encoding="utf-8") as out:
        out.write(text)


if __name__ == "__main__":
    sys.exit(main())
