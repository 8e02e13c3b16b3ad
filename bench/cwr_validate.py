"""Benchmark: CWR validation against a bare baseline that only splits lines and slices fields.

    python bench/cwr_validate.py [--records 1000000] [--big-records 10000000] [--skip-big]

Generates valid CWR 2.2 files into ``bench/out/`` (reused when already there at the right
size), then in one run:

* the **baseline**: read the file line by line (binary, decoded latin-1), look up the
  record's layout by its first three characters, slice every field of it — nothing else;
* **validation**: ``gateway.validation.engine.validate`` with the default pack.

Each is timed with ``time.perf_counter`` ``--repeat`` times (median reported) on the
``--records`` file. Peak memory (``ru_maxrss``) is measured in child processes, one per
measurement, so the parent's memory does not count; the ``--big-records`` file is timed and
measured once, in those children. Results go to stdout as a table and to
``bench/out/cwr_validate.json``. Targets (the issue): validate ≤ 3 x baseline; validation's
peak RSS ≤ 150 MB on a 10M-record file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from generate import generate

from gateway.formats.cwr.layouts import layout_set
from gateway.validation.engine import validate

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
VERSION = "2.2"
TARGET_RATIO = 3.0
TARGET_PEAK_MB = 150.0
MESSAGES_SHOWN = 10
T = TypeVar("T")


# -- the files ---------------------------------------------------------------------------------


def _generator_digest() -> str:
    return hashlib.sha256((HERE / "generate.py").read_bytes()).hexdigest()[:16]


def ensure_file(records: int) -> tuple[Path, int]:
    """The benchmark file of about ``records`` records, generated unless already present."""
    path = OUT / f"cwr_{records}.V22"
    meta_path = path.with_name(path.name + ".meta.json")
    digest = _generator_digest()
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if (
            meta.get("requested") == records
            and meta.get("version") == VERSION
            and meta.get("generator") == digest
            and meta.get("bytes") == path.stat().st_size
        ):
            say(f"reusing {path.name}: {meta['records']:,} records")
            return path, int(meta["records"])
    say(f"generating {path.name} (about {records:,} records) ...")
    started = time.perf_counter()
    written = generate(path, records, VERSION)
    meta = {
        "requested": records,
        "records": written,
        "bytes": path.stat().st_size,
        "version": VERSION,
        "generator": digest,
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    say(f"  {written:,} records, {meta['bytes'] / 1e6:,.0f} MB in {since(started):.0f} s")
    return path, written


# -- what is timed ---------------------------------------------------------------------------


def baseline(path: Path) -> int:
    """Split lines and slice every field of each record's layout; returns the record count.

    The slice bounds are taken from the layouts once, before the loop (as the reader's
    decoders do), so the loop pays for the line split, the decode and the slices only.
    """
    bounds = {
        code: tuple((f.offset, f.end) for f in layout.fields)
        for code, layout in layout_set(VERSION).layouts.items()
    }
    records = 0
    with path.open("rb") as stream:
        for raw in stream:
            line = raw.decode("latin-1")
            for start, end in bounds.get(line[:3], ()):
                _ = line[start:end]
            records += 1
    return records


def baseline_literal(path: Path) -> int:
    """The baseline as the issue words it: ``line[f.offset:f.end]`` on the layout's fields.

    ``Field.offset`` and ``Field.end`` are properties, so this pays two Python calls per
    field on top of the slice; it is reported beside the baseline, not instead of it.
    """
    layouts = layout_set(VERSION).layouts
    records = 0
    with path.open("rb") as stream:
        for raw in stream:
            line = raw.decode("latin-1")
            layout = layouts.get(line[:3])
            if layout is not None:
                for f in layout.fields:
                    _ = line[f.offset : f.end]
            records += 1
    return records


def validation(path: Path) -> dict[str, Any]:
    """Validate the file with the default pack; what the report says of it."""
    with path.open("rb") as stream:
        report = validate(stream, source=str(path))
    report.transactions.close()
    return {
        "status": report.status,
        "counts": report.counts,
        "messages": len(report.messages),
        "first_messages": [
            f"line {m.line}: {m.edit} {m.rejection} {m.record_type} "
            f"{m.field or ''} {m.text} {m.value or ''}".strip()
            for m in report.messages[:MESSAGES_SHOWN]
        ],
    }


# -- child processes (peak memory) -------------------------------------------------------------

# Linux keeps ru_maxrss across execve: a process started straight from this one (fork or vfork,
# then exec) reports at least this process's peak RSS. Started through sh, which forks a fresh
# child of its own small image, the child's ru_maxrss is its own.
LAUNCH = ("/bin/sh", "-c", '"$0" "$@"; exit $?')


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _hwm_mib() -> float | None:
    """The kernel's high-water RSS of this process image (VmHWM), as a cross-check."""
    status = Path("/proc/self/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def child(kind: str, path: Path) -> dict[str, Any]:
    """Run one measurement in this (fresh) process and report its time and peak RSS."""
    imported = maxrss_mib()
    started = time.perf_counter()
    result: dict[str, Any] = validation(path) if kind == "validate" else {"records": baseline(path)}
    result.update(
        kind=kind,
        seconds=since(started),
        maxrss_mib=maxrss_mib(),
        vmhwm_mib=_hwm_mib(),
        maxrss_after_import_mib=imported,
    )
    return result


def measure_in_child(kind: str, path: Path) -> dict[str, Any]:
    """``child`` in a subprocess, so the parent's memory does not count."""
    say(f"  {kind} in a child process on {path.name} ...")
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [*LAUNCH, sys.executable, str(Path(__file__).resolve()), "--child", kind, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    say(
        f"    {result['seconds']:.1f} s, peak RSS {result['maxrss_mib']:.1f} MiB "
        f"(after imports {result['maxrss_after_import_mib']:.1f} MiB)"
    )
    return result


# -- the run -----------------------------------------------------------------------------------


def _timed(function: Callable[[Path], T], path: Path) -> tuple[float, T]:
    started = time.perf_counter()
    value = function(path)
    return since(started), value


def bench_timed(path: Path, records: int, repeat: int) -> dict[str, Any]:
    """Baseline, literal baseline and validation, interleaved, ``repeat`` times each."""
    baseline(path)  # warm the page cache; untimed
    times: dict[str, list[float]] = {"baseline": [], "baseline_literal": [], "validate": []}
    summary: dict[str, Any] = {}
    for run in range(1, repeat + 1):
        seconds, counted = _timed(baseline, path)
        times["baseline"].append(seconds)
        seconds, _ = _timed(baseline_literal, path)
        times["baseline_literal"].append(seconds)
        seconds, summary = _timed(validation, path)
        times["validate"].append(seconds)
        say(
            f"  run {run}/{repeat}: baseline {times['baseline'][-1]:.2f} s, "
            f"literal {times['baseline_literal'][-1]:.2f} s, validate {seconds:.2f} s"
        )
    if counted != records:
        say(f"  note: baseline counted {counted:,} lines, generator wrote {records:,}")
    median = {k: statistics.median(v) for k, v in times.items()}
    return {
        "records": records,
        "file": str(path.relative_to(HERE.parent)),
        "bytes": path.stat().st_size,
        "runs": repeat,
        "baseline_s": median["baseline"],
        "baseline_literal_s": median["baseline_literal"],
        "validate_s": median["validate"],
        "times": times,
        "ratio": median["validate"] / median["baseline"],
        "ratio_literal": median["validate"] / median["baseline_literal"],
        "records_per_s": records / median["validate"],
        "baseline_records_per_s": records / median["baseline"],
        **summary,
    }


def bench_children(path: Path, records: int, row: dict[str, Any] | None) -> dict[str, Any]:
    """Peak RSS of validation and of the baseline, each in its own process.

    With ``row`` (the timed run of the same file) the children add their peak RSS to it;
    without, the children's single runs are the timings.
    """
    checked = measure_in_child("validate", path)
    base = measure_in_child("baseline", path)
    memory = {
        "peak_rss_validate_mib": checked["maxrss_mib"],
        "peak_rss_baseline_mib": base["maxrss_mib"],
        "rss_after_import_mib": checked["maxrss_after_import_mib"],
        "vmhwm_validate_mib": checked["vmhwm_mib"],
        "vmhwm_baseline_mib": base["vmhwm_mib"],
    }
    if row is not None:
        return row | memory
    return {
        "records": records,
        "file": str(path.relative_to(HERE.parent)),
        "bytes": path.stat().st_size,
        "runs": 1,
        "baseline_s": base["seconds"],
        "validate_s": checked["seconds"],
        "ratio": checked["seconds"] / base["seconds"],
        "records_per_s": records / checked["seconds"],
        "baseline_records_per_s": records / base["seconds"],
        **{k: checked[k] for k in ("status", "counts", "messages", "first_messages")},
        **memory,
    }


def source_state() -> dict[str, Any]:
    """The commit measured, and any uncommitted change to the package (read-only git)."""
    root = HERE.parent

    def git(*args: str) -> str:
        try:
            done = subprocess.run(  # noqa: S603 - fixed read-only git commands
                ["git", "-C", str(root), *args],  # noqa: S607
                capture_output=True,
                text=True,
                check=True,
            )
        except (OSError, subprocess.CalledProcessError):
            return ""
        return done.stdout.strip()

    changed = git("status", "--porcelain", "--", "gateway")
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "subject": git("log", "-1", "--format=%s"),
        "gateway_uncommitted": changed.splitlines() if changed else [],
    }


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gb": round(memory / 2**30, 1),
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    """The results, one row per file."""
    header = (
        f"{'records':>12} {'runs':>4} {'baseline s':>11} {'validate s':>11} {'ratio':>7} "
        f"{'records/s':>10} {'peak RSS MiB validate':>22} {'baseline':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['records']:>12,} {r['runs']:>4} {r['baseline_s']:>11.2f} "
            f"{r['validate_s']:>11.2f} {r['ratio']:>6.1f}x {r['records_per_s']:>10,.0f} "
            f"{r['peak_rss_validate_mib']:>22.1f} {r['peak_rss_baseline_mib']:>9.1f}"
        )
    for r in rows:
        if "ratio_literal" in r:
            print(
                f"{r['records']:,} records: against the literal baseline "
                f"(line[f.offset:f.end] through the Field properties, "
                f"{r['baseline_literal_s']:.2f} s) the ratio is {r['ratio_literal']:.1f}x"
            )


def print_verdicts(rows: list[dict[str, Any]]) -> None:
    """Whether each file validated as accepted, and its counts (messages when not)."""
    for r in rows:
        counts = ", ".join(f"{k} {v:,}" for k, v in r["counts"].items())
        print(f"{r['records']:,}-record file: {r['status']} ({counts}; {r['messages']} messages)")
        if r["status"] != "accepted" or r["messages"]:
            for message in r["first_messages"]:
                print(f"    {message}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with ``--child``, one measurement for the parent)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="timed file size")
    parser.add_argument("--big-records", type=int, default=10_000_000, help="memory file size")
    parser.add_argument("--skip-big", action="store_true", help="leave out the big file")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (median reported)")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, file = args.child
        if kind not in ("validate", "baseline"):
            parser.error("--child KIND is validate or baseline")
        print(json.dumps(child(kind, Path(file))))
        return 0

    OUT.mkdir(exist_ok=True)
    info = machine()
    source = source_state()
    say(f"{info['cpu']}, {info['cpus']} CPUs, {info['memory_gb']} GB, Python {info['python']}")
    say(
        f"gateway at {source['commit']} ({source['subject']})"
        + (
            f", uncommitted: {source['gateway_uncommitted']}"
            if source["gateway_uncommitted"]
            else ""
        )
    )
    path, records = ensure_file(args.records)
    say(f"timing {records:,} records, {args.repeat} runs each ...")
    rows = [bench_children(path, records, bench_timed(path, records, args.repeat))]
    if not args.skip_big:
        big, big_records = ensure_file(args.big_records)
        say(f"timing and measuring {big_records:,} records once each, in child processes ...")
        rows.append(bench_children(big, big_records, None))

    print()
    print_table(rows)
    print()
    print_verdicts(rows)
    largest = rows[-1]
    verdict = {
        "ratio_target": TARGET_RATIO,
        "ratio_met": rows[0]["ratio"] <= TARGET_RATIO,
        "peak_rss_target_mb": TARGET_PEAK_MB,
        "peak_rss_measured_on_records": largest["records"],
        # ru_maxrss is in KiB; the target is read as decimal megabytes.
        "peak_rss_met": largest["peak_rss_validate_mib"] * 1.048576 <= TARGET_PEAK_MB,
    }
    print(
        f"\ntargets: ratio <= {TARGET_RATIO:.0f}x: "
        f"{'met' if verdict['ratio_met'] else 'NOT met'} ({rows[0]['ratio']:.1f}x); "
        f"peak RSS <= {TARGET_PEAK_MB:.0f} MB on {largest['records']:,} records: "
        f"{'met' if verdict['peak_rss_met'] else 'NOT met'} "
        f"({largest['peak_rss_validate_mib'] * 1.048576:.0f} MB)"
    )
    after = source_state()
    if after != source:
        print(f"WARNING: gateway/ changed during the run: {source} -> {after}")
    result = {
        "machine": info,
        "source": source,
        "source_after": after,
        "version": VERSION,
        "rows": rows,
        "targets": verdict,
    }
    target = OUT / "cwr_validate.json"
    target.write_text(json.dumps(result, indent=2) + "\n")
    say(f"results written to {target.relative_to(HERE.parent)}")
    return 0


def since(started: float) -> float:
    return time.perf_counter() - started


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
