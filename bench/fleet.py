"""Fleet benchmark: N clusters against the fake CCE API with an injected per-request latency.

    python bench/fleet.py    # 200 clusters, 0.1 s per request, concurrency 8 and 32
    python bench/fleet.py --clusters 50 --latency 0.05

Each cluster makes one request (``gate check`` without ``--wait``). The target (the README):
wall time within 1.5x of (clusters / concurrency) x one cluster's API time, plus start-up (a
one-cluster run's wall time less its API time). Peak RSS is measured for the whole process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_cce import DEFAULT_CLUSTER_ID, DEFAULT_PROJECT_ID, FakeCCE, Fault  # noqa: E402

TOKEN = "bench-token-0123456789"


def inventory(folder: Path, endpoint: str, clusters: int) -> Path:
    lines = [
        "apiVersion: gate/v1",
        "kind: Inventory",
        "defaults:",
        f"  endpoint: {endpoint}",
        f"  projectId: {DEFAULT_PROJECT_ID}",
        "  tokenEnv: BENCH_TOKEN",
        "clusters:",
    ]
    for index in range(clusters):
        lines += [f"  - name: c-{index:04d}", f"    clusterId: {DEFAULT_CLUSTER_ID}"]
    path = folder / f"inventory-{clusters}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(path: Path, concurrency: int) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one fleet run."""
    command = [
        sys.executable,
        "-m",
        "gate",
        "check",
        "--inventory",
        str(path),
        "--concurrency",
        str(concurrency),
        "--allow-empty",
    ]
    env = {**os.environ, "BENCH_TOKEN": TOKEN, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    _, status, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    args = parser.parse_args()
    with FakeCCE(token=TOKEN) as fake, tempfile.TemporaryDirectory() as scratch:
        fake.faults.append(Fault(kind="delay", match="tasks", seconds=args.latency, times=10**9))
        one = inventory(Path(scratch), fake.url, 1)
        many = inventory(Path(scratch), fake.url, args.clusters)
        single, single_rss, code = run(one, 1)
        startup = max(single - args.latency, 0.0)
        print(
            f"1 cluster: {single:.2f} s (start-up {startup:.2f} s), "
            f"{single_rss:.0f} MiB, exit {code}"
        )
        for concurrency in args.concurrency:
            wall, rss, code = run(many, concurrency)
            ideal = args.clusters / concurrency * args.latency
            bound = 1.5 * ideal + startup
            verdict = "ok" if wall <= bound else "SLOWER than the target"
            print(
                f"{args.clusters} clusters, concurrency {concurrency}: {wall:.2f} s "
                f"(ideal {ideal:.2f} s, target <= {bound:.2f} s: {verdict}), "
                f"peak {rss:.0f} MiB, exit {code}"
            )


if __name__ == "__main__":
    main()
