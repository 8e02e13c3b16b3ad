"""Benchmark: works XML validation + decoding against a bare lxml parse of the same document.

    python bench/xml_validate.py [--mb 80] [--repeat 3] [--profile]

Generates a valid works XML document of about ``--mb`` megabytes into ``bench/out/`` (reused when
already there at the right size), made of the PRS-derived sample works written again and again
through ``WorksXmlWriter``, each copy with its own work number and title. Then, in one run:

* **lxml iterparse** (the baseline): ``etree.iterparse`` over the file, every element consumed
  and cleared, consumed siblings deleted — a streaming parse in flat memory;
* **lxml parse**: ``etree.parse`` of the whole document (reference: the tree in memory);
* **validate**: ``gateway.validation.engine.validate`` — detection, the secure reader, the
  element-by-element schema check, decoding to the model and the rule pack;
* **decode**: ``read_works_xml`` without a schema checker — the secure reader and the decoder;
* **lxml XSD, whole**: ``etree.parse`` then ``XMLSchema.validate`` (reference);
* **lxml XSD, streaming**: ``etree.iterparse(schema=...)`` with clearing (reference: libxml2's
  own streaming validation, what the gateway uses for the other XML formats).

Each is timed with ``time.perf_counter`` ``--repeat`` times, interleaved (median reported), in
this process. Peak memory is ``ru_maxrss`` of a child process started for that one measurement
(through ``sh``, so the child's figure is its own; see ``bench/README.md``). Results go to
stdout as a table and to ``bench/out/xml_validate.json``. Target (the issue): validate ≤ 3 x the
iterparse baseline. With ``--profile``, a cProfile of one validation goes to
``bench/out/xml_validate_profile.txt`` (top functions by own and cumulative time).
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cwr_validate import HERE, LAUNCH, OUT, machine, maxrss_mib, say, since
from generate import templates
from lxml import etree

from gateway.formats.xml.schemas import lxml_schema
from gateway.formats.xml.secure import secure_parser
from gateway.formats.xml.text import MessageInfo
from gateway.formats.xml.works_reader import read_works_xml
from gateway.formats.xml.works_writer import WorksXmlWriter
from gateway.model import Work
from gateway.validation.engine import validate

TARGET_RATIO = 3.0
MESSAGES_SHOWN = 10
PROFILE_LINES = 30
# The message header's timestamp is fixed, so the same size gives the same bytes.
CREATED = datetime(2026, 1, 1, tzinfo=UTC)
TITLE_SIZE = 60
WORK_NUMBER_SIZE = 14


# -- the document ------------------------------------------------------------------------------


def _varied(record: Work, number: int) -> Work:
    """A copy of the work with its own submitter work number and title."""
    suffix = f" {number}"
    title = record.title[: TITLE_SIZE - len(suffix)].rstrip() + suffix
    return replace(
        record, submitter_work_number=f"BENCH{number:09d}"[-WORK_NUMBER_SIZE:], title=title
    )


def generate_xml(path: Path, megabytes: int) -> int:
    """Write a valid works document of about ``megabytes`` MB (at least); returns its works."""
    header, transactions = templates("2.2")
    works = [t for t in transactions if isinstance(t, Work)]
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb", buffering=1 << 20) as out:
        writer = WorksXmlWriter(out, MessageInfo("BENCH-1", "052", ("035",), created=CREATED))
        writer.header(header)
        number = 0
        while out.tell() < megabytes * 1_000_000:
            writer.transaction(_varied(works[number % len(works)], number))
            number += 1
        writer.close()
    partial.replace(path)
    return number


def _generator_digest() -> str:
    digest = hashlib.sha256()
    for name in ("xml_validate.py", "generate.py"):
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()[:16]


def ensure_file(megabytes: int) -> tuple[Path, int]:
    """The benchmark document of about ``megabytes`` MB, generated unless already present."""
    path = OUT / f"works_{megabytes}mb.xml"
    meta_path = path.with_name(path.name + ".meta.json")
    digest = _generator_digest()
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("generator") == digest and meta.get("bytes") == path.stat().st_size:
            say(f"reusing {path.name}: {meta['works']:,} works")
            return path, int(meta["works"])
    say(f"generating {path.name} (about {megabytes} MB) ...")
    started = time.perf_counter()
    works = generate_xml(path, megabytes)
    meta = {"requested_mb": megabytes, "works": works, "bytes": path.stat().st_size}
    meta_path.write_text(json.dumps(meta | {"generator": digest}, indent=2) + "\n")
    say(f"  {works:,} works, {meta['bytes'] / 1e6:,.0f} MB in {since(started):.0f} s")
    return path, works


# -- what is timed -----------------------------------------------------------------------------


def lxml_iterparse(path: Path) -> dict[str, Any]:
    """The baseline: stream every element, clear it, drop the siblings already consumed."""
    elements = 0
    for _, element in etree.iterparse(str(path), events=("end",)):
        elements += 1
        element.clear(keep_tail=True)
        while element.getprevious() is not None:
            del element.getparent()[0]  # type: ignore[union-attr]  # it has a previous sibling
    return {"elements": elements}


def lxml_parse(path: Path) -> dict[str, Any]:
    """The whole document as a tree (reference: memory grows with the document)."""
    tree = etree.parse(str(path), secure_parser())
    return {"elements": sum(1 for _ in tree.iter())}


def lxml_xsd_whole(path: Path) -> dict[str, Any]:
    """Parse the whole document, then validate the tree against the works XSD."""
    tree = etree.parse(str(path), secure_parser())
    return {"valid": lxml_schema("works").validate(tree)}


def lxml_xsd_streaming(path: Path) -> dict[str, Any]:
    """libxml2's streaming XSD validation while iterparse clears what it has read."""
    parse = etree.iterparse(str(path), events=("end",), schema=lxml_schema("works"))
    valid = True
    try:
        for _, element in parse:
            element.clear(keep_tail=True)
            while element.getprevious() is not None:
                del element.getparent()[0]  # type: ignore[union-attr]
    except etree.XMLSyntaxError:
        valid = False
    return {"valid": valid}


def decode(path: Path) -> dict[str, Any]:
    """The secure reader and the decoder, no schema check: events to the model."""
    events = 0
    issues = 0
    with path.open("rb") as stream:
        for event in read_works_xml(stream):
            events += 1
            issues += len(event.issues)
    return {"events": events, "issues": issues}


def validation(path: Path) -> dict[str, Any]:
    """What ``gateway validate`` does: the engine, default pack; what the report says."""
    with path.open("rb") as stream:
        report = validate(stream, source=str(path))
    report.transactions.close()
    return {
        "status": report.status,
        "counts": report.counts,
        "messages": len(report.messages),
        "first_messages": [
            f"line {m.line}: {m.edit} {m.record_type} {m.field or ''} {m.text}".strip()
            for m in report.messages[:MESSAGES_SHOWN]
        ],
    }


KINDS: dict[str, tuple[str, Callable[[Path], dict[str, Any]]]] = {
    "iterparse": ("lxml iterparse (baseline)", lxml_iterparse),
    "parse": ("lxml parse, whole tree", lxml_parse),
    "validate": ("validate + decode (engine)", validation),
    "decode": ("decode only (read_works_xml)", decode),
    "xsd_whole": ("lxml XSD, whole document", lxml_xsd_whole),
    "xsd_streaming": ("lxml XSD, streaming", lxml_xsd_streaming),
}


# -- child processes (peak memory) -------------------------------------------------------------


def child(kind: str, path: Path) -> dict[str, Any]:
    """Run one measurement in this (fresh) process: its result, time and peak RSS."""
    imported = maxrss_mib()
    started = time.perf_counter()
    result = KINDS[kind][1](path)
    return result | {
        "kind": kind,
        "seconds": since(started),
        "maxrss_mib": maxrss_mib(),
        "maxrss_after_import_mib": imported,
    }


def measure_in_child(kind: str, path: Path) -> dict[str, Any]:
    """``child`` in a subprocess, so the parent's memory does not count."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [*LAUNCH, sys.executable, str(Path(__file__).resolve()), "--child", kind, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    say(f"  {kind}: peak RSS {result['maxrss_mib']:.1f} MiB ({result['seconds']:.1f} s)")
    return result


def gateway_sources() -> dict[str, str]:
    """The digest of every source file of the package, by path relative to it."""
    package = HERE.parent / "gateway"
    return {
        str(f.relative_to(package)): hashlib.sha256(f.read_bytes()).hexdigest()[:16]
        for f in sorted(package.rglob("*.py"))
    }


def changed_modules(before: dict[str, str]) -> list[str]:
    """The gateway modules this run imported whose sources changed since ``before``."""
    package = (HERE.parent / "gateway").resolve()
    now = gateway_sources()
    used = {
        str(Path(source).resolve().relative_to(package))
        for name, module in list(sys.modules.items())
        if name.split(".")[0] == "gateway" and (source := getattr(module, "__file__", None))
    }
    return sorted(path for path in used if before.get(path) != now.get(path))


# -- the run -----------------------------------------------------------------------------------


def bench_timed(path: Path, repeat: int) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Every kind, interleaved, ``repeat`` times; the times and each kind's last result."""
    lxml_iterparse(path)  # warm the page cache; untimed
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    results: dict[str, Any] = {}
    for run in range(1, repeat + 1):
        for kind, (_, function) in KINDS.items():
            started = time.perf_counter()
            results[kind] = function(path)
            times[kind].append(since(started))
        say(f"  run {run}/{repeat}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
    return times, results


def profile(path: Path) -> str:
    """cProfile of one validation: the top functions by own time and by cumulative time."""
    profiler = cProfile.Profile()
    profiler.runcall(validation, path)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(PROFILE_LINES)
    stats.sort_stats("cumulative").print_stats(PROFILE_LINES)
    target = OUT / "xml_validate_profile.txt"
    target.write_text(text.getvalue())
    return str(target.relative_to(HERE.parent))


def print_table(rows: list[dict[str, Any]], baseline_s: float) -> None:
    """One row per measurement: median time, ratio to the baseline, MB/s, peak RSS."""
    header = (
        f"{'measurement':<30} {'median s':>9} {'x baseline':>10} {'MB/s':>7} {'peak RSS MiB':>13}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['label']:<30} {r['median_s']:>9.2f} {r['median_s'] / baseline_s:>9.2f}x "
            f"{r['mb_per_s']:>7.1f} {r['peak_rss_mib']:>13.1f}"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with ``--child``, one measurement for the parent)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=80, help="document size in MB (default 80)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (median reported)")
    parser.add_argument("--profile", action="store_true", help="also profile one validation")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, file = args.child
        if kind not in KINDS:
            parser.error(f"--child KIND is one of {', '.join(KINDS)}")
        print(json.dumps(child(kind, Path(file))))
        return 0

    OUT.mkdir(exist_ok=True)
    info, sources = machine(), gateway_sources()
    say(f"{info['cpu']}, {info['cpus']} CPUs, {info['memory_gb']} GB, Python {info['python']}")
    path, works = ensure_file(args.mb)
    size_mb = path.stat().st_size / 1e6
    say(f"timing {size_mb:.0f} MB ({works:,} works), {args.repeat} runs each ...")
    times, results = bench_timed(path, args.repeat)
    say("peak RSS, one child process per measurement ...")
    memory = {kind: measure_in_child(kind, path) for kind in KINDS}
    rows = [
        {
            "kind": kind,
            "label": label,
            "median_s": statistics.median(times[kind]),
            "times": times[kind],
            "mb_per_s": size_mb / statistics.median(times[kind]),
            "peak_rss_mib": memory[kind]["maxrss_mib"],
            "rss_after_import_mib": memory[kind]["maxrss_after_import_mib"],
            "result": results[kind],
        }
        for kind, (label, _) in KINDS.items()
    ]
    median = {r["kind"]: r["median_s"] for r in rows}
    ratio = median["validate"] / median["iterparse"]
    print()
    print(f"works_{args.mb}mb.xml: {size_mb:.1f} MB, {works:,} works")
    print_table(rows, median["iterparse"])
    verdict = results["validate"]
    counts = ", ".join(f"{k} {v:,}" for k, v in verdict["counts"].items())
    print(f"\nvalidate: {verdict['status']} ({counts}; {verdict['messages']} messages)")
    for message in verdict["first_messages"]:
        print(f"    {message}")
    print(
        f"decode only / baseline {median['decode'] / median['iterparse']:.1f}x; "
        f"validate / decode only {median['validate'] / median['decode']:.1f}x"
    )
    print(
        f"target: validate + decode <= {TARGET_RATIO:.0f}x the iterparse baseline: "
        f"{'met' if ratio <= TARGET_RATIO else 'NOT met'} ({ratio:.1f}x)"
    )
    profiled = profile(path) if args.profile else None
    if profiled:
        print(f"profile of one validation: {profiled}")
    changed = changed_modules(sources)
    if changed:
        print(f"WARNING: gateway modules this run used changed during it: {', '.join(changed)}")
    result = {
        "machine": info,
        "gateway_sources": sources,
        "gateway_changed_mid_run": changed,
        "file": str(path.relative_to(HERE.parent)),
        "bytes": path.stat().st_size,
        "works": works,
        "rows": rows,
        "ratio": ratio,
        "ratio_target": TARGET_RATIO,
        "ratio_met": ratio <= TARGET_RATIO,
        "profile": profiled,
    }
    target = OUT / "xml_validate.json"
    target.write_text(json.dumps(result, indent=2) + "\n")
    say(f"results written to {target.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
