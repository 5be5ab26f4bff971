"""Benchmarks for the targets in the README: speed and memory against a minimal script, cost
linear in N, and start-up on the bundled example. Everything is measured side by side in one run
(the machines are noisy: compare the ratios, not the seconds).

    python bench/run.py              # 1,000 / 10,000 / 100,000 tasks, 3 rounds each
    python bench/run.py --quick      # 1,000 / 10,000 tasks, for a smoke test

It also measures reading: what the strict parser costs over plain ``json.loads``, and time and
peak memory per MB of input for valid responses and for responses gate refuses (a million
schema errors, a duplicate key at the very end, nesting a million levels deep).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
EXAMPLE = ROOT / "examples" / "blocked-coredns.json"


def measure(command: list[str], expect: tuple[int, ...] = (0, 1)) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one run of ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in expect:
        raise SystemExit(f"{' '.join(command)} exited {code}")
    return wall, usage.ru_maxrss / 1024


def median_of(
    command: list[str], rounds: int, expect: tuple[int, ...] = (0, 1)
) -> tuple[float, float]:
    runs = [measure(command, expect) for _ in range(rounds)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def gate_check(response: Path, *flags: str | Path) -> list[str]:
    """The command line of one `gate check` run, as a user would type it."""
    return [sys.executable, "-m", "gate", "check", "-i", str(response), *map(str, flags)]


def response(count: int) -> Path:
    path = OUT / f"tasks-{count}.json"
    if not path.exists():
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "generate.py"), str(count), str(path)], check=True
        )
    return path


def scale(sizes: list[int], rounds: int) -> None:
    print(
        "| tasks | gate s | gate MiB | minimal s | minimal MiB | time ratio | memory ratio "
        "| gate µs/task |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for count in sizes:
        path = response(count)
        gate = gate_check(path, "--junit", OUT / "gate.xml", "--json", OUT / "gate.json")
        minimal = [
            sys.executable,
            str(ROOT / "bench" / "minimal.py"),
            str(path),
            str(OUT / "minimal.xml"),
        ]
        gate_s, gate_mb = median_of(gate, rounds)
        min_s, min_mb = median_of(minimal, rounds)
        print(
            f"| {count:,} | {gate_s:.2f} | {gate_mb:.0f} | {min_s:.2f} | {min_mb:.0f} "
            f"| {gate_s / min_s:.2f} | {gate_mb / min_mb:.2f} | {gate_s / count * 1e6:.0f} |"
        )


def startup(rounds: int) -> None:
    imports = [sys.executable, "-c", "import click, jsonschema, yaml, junit_xml"]
    gate = gate_check(EXAMPLE, "--junit", OUT / "example.xml")
    imports_s, _ = median_of(imports, rounds)
    gate_s, _ = median_of(gate, rounds)
    print()
    print(f"| start-up (median of {rounds}) | s |")
    print("|---|---:|")
    print(f"| python -c 'import click, jsonschema, yaml, junit_xml' | {imports_s:.3f} |")
    print(f"| gate check on the bundled example, with --junit | {gate_s:.3f} |")
    print(f"| ratio | {gate_s / imports_s:.2f} |")


VARIANTS = ("errors", "duplicate-last", "deep")


def broken(text: str, name: str) -> str:
    """A response text made invalid in one of the VARIANTS ways."""
    if name == "errors":  # every risk twice wrong: two schema errors per risk
        return text.replace('"level":"', '"level":"x').replace('"status":"', '"status":"x')
    if name == "duplicate-last":  # found only by the last object the parser builds
        at = text.rindex('"level":"')
        return text[:at] + '"level":"Fatal",' + text[at:]
    if name == "deep":  # as many levels as the response has bytes, about
        return "[" * (len(text) // 2) + "]" * (len(text) // 2)
    raise ValueError(name)


def variant(count: int, name: str) -> Path:
    """The ``count``-task response made invalid in one way."""
    path = OUT / f"tasks-{count}-{name}.json"
    if not path.exists():
        path.write_text(broken(response(count).read_text(), name))
    return path


# Run in a child, so that the documents it parses do not swell the RSS the other measurements
# inherit; interleaved rounds and CPU time, so that a busy machine tilts neither side.
PARSE_TIMING = """
import gc, json, sys, time
from gate.source import parse
data, rounds = open(sys.argv[1], "rb").read(), int(sys.argv[2])
gc.disable()
best = {"plain": [], "strict": []}
for _ in range(rounds):
    for name, work in (("plain", lambda: json.loads(data)), ("strict", lambda: parse(data, "r"))):
        start = time.process_time()
        work()
        best[name].append(time.process_time() - start)
print(json.dumps({name: min(times) for name, times in best.items()}))
"""


def reading(count: int, rounds: int) -> None:
    """Whole runs per MB of valid and refused documents; then the strict parser's own cost."""
    print()
    print("| document | MB | exit | s | peak MiB | s per MB | MiB per MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    documents = [
        ("valid", response(count), (0, 1)),
        ("every risk twice invalid", variant(count, "errors"), (3,)),
        ("a duplicate key at the end", variant(count, "duplicate-last"), (3,)),
        ("nested a million levels deep", variant(count, "deep"), (3,)),
    ]
    for label, path, expect in documents:
        seconds, peak = median_of(gate_check(path), rounds, expect)
        size = path.stat().st_size / 2**20
        print(
            f"| {label} | {size:.0f} | {'/'.join(map(str, expect))} | {seconds:.2f} "
            f"| {peak:.0f} | {seconds / size:.3f} | {peak / size:.1f} |"
        )
    path = response(count)
    timing = subprocess.run(
        [sys.executable, "-c", PARSE_TIMING, str(path), str(rounds)],
        check=True,
        capture_output=True,
        text=True,
    )
    cpu = json.loads(timing.stdout)
    megabytes = path.stat().st_size / 2**20
    print()
    print(f"| parsing {count:,} tasks ({megabytes:.0f} MB), best of {rounds} | CPU s | MB/s |")
    print("|---|---:|---:|")
    print(f"| json.loads | {cpu['plain']:.2f} | {megabytes / cpu['plain']:.0f} |")
    print(f"| gate's strict parser | {cpu['strict']:.2f} | {megabytes / cpu['strict']:.0f} |")
    print(f"| ratio | {cpu['strict'] / cpu['plain']:.2f} | |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    sizes = [1000, 10000] if args.quick else [1000, 10000, 100000]
    scale(sizes, args.rounds)
    reading(sizes[-1], args.rounds)
    startup(20)


if __name__ == "__main__":
    main()
