"""Fleet runs: every cluster of an inventory judged by the single-cluster path, side by side.

Each cluster is one job: a saved response goes through :func:`gate.run.judge`, a live cluster
through :func:`gate.live.check` or :func:`gate.live.precheck` with its own endpoint, IDs and
credentials. Jobs run on a bounded thread pool (``--concurrency``); each is guarded on its own,
so one cluster's failure (unreachable, 401, an invalid response) is that cluster's verdict and
never touches another's. ``--timeout`` is each live cluster's own deadline.

Selection and sharding: ``--cluster NAME`` and ``--select KEY=VALUE`` (labels; every one must
match) narrow the inventory; ``--shard I/N`` then takes the clusters whose position, in the order
of the SHA-256 of their names, is I-1 modulo N. The order of the file plays no part, so N shards
are disjoint and cover every selected cluster however the file is edited.

The fleet's exit code is :func:`gate.report.worst` over the clusters' codes and any error of the
fleet itself (a bad inventory, a selection that matches nothing).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gate.baseline import check_fleet
from gate.engine import Config, make_config
from gate.errors import ConfigError, GateError, Interrupted
from gate.inventory import Cluster, Inventory, load_inventory
from gate.policy import load_policies
from gate.report import (
    EXIT_CODES,
    PRECEDENCE,
    SIGNAL_EXIT_BASE,
    Enforcement,
    ErrorInfo,
    Outcome,
    Report,
    Verdict,
    after_write_failure,
    worst,
)
from gate.resources import default_policy_dir
from gate.run import CheckOptions, configure, error_report, guarded, judge
from gate.source import read_response

if TYPE_CHECKING:  # the live path (and httpx) is imported only when a cluster is live
    from gate.live import LiveOptions

__all__ = [
    "ClusterResult",
    "FleetOptions",
    "FleetReport",
    "config_digest",
    "parse_shard",
    "run",
    "shard_of",
]

DEFAULT_CONCURRENCY = 8
FLEET_FORMAT_VERSION = 2


@dataclass(frozen=True)
class ClusterResult:
    name: str
    labels: tuple[tuple[str, str], ...]
    report: Report


@dataclass(frozen=True)
class FleetReport:
    """The outcome of a fleet run (or of merged shards): one Report per cluster."""

    clusters: tuple[ClusterResult, ...] = ()
    inventory: str = ""
    inventory_digest: str = ""
    config_digest: str = ""
    shard: tuple[int, int] | None = None  # (index, total) of a sharded run
    shards: tuple[int, ...] = ()  # the shards a merged report was made of
    selected: int = 0  # clusters selected before sharding
    error: ErrorInfo | None = None
    notes: tuple[str, ...] = ()
    write_failures: tuple[str, ...] = ()
    signal: int = 0

    @property
    def exit_code(self) -> int:
        codes = [c.report.exit_code for c in self.clusters]
        if self.error is not None:
            if self.error.verdict is Verdict.INTERRUPTED and self.signal:
                codes.append(SIGNAL_EXIT_BASE + self.signal)
            else:
                codes.append(EXIT_CODES[self.error.verdict])
        elif not self.clusters and self.shard is None:
            codes.append(EXIT_CODES[Verdict.INCOMPLETE])  # nothing judged is never a pass
        code = worst(codes)
        return after_write_failure(code) if self.write_failures else code

    @property
    def verdict(self) -> Verdict:
        return verdict_of(self.exit_code)

    def count(self, outcome: Outcome) -> int:
        return sum(c.report.count(outcome) for c in self.clusters)

    def by_verdict(self) -> dict[Verdict, int]:
        counts: dict[Verdict, int] = {}
        for result in self.clusters:
            counts[result.report.verdict] = counts.get(result.report.verdict, 0) + 1
        return counts

    def worst_first(self) -> list[ClusterResult]:
        """Clusters in the exit-code precedence, then by most blocking findings, then name."""
        rank = {code: i for i, (_, code, _) in enumerate(PRECEDENCE)}
        return sorted(
            self.clusters,
            key=lambda c: (
                rank.get(EXIT_CODES.get(c.report.verdict, 6), 0),
                -c.report.count(Outcome.BLOCKING),
                c.name,
            ),
        )


def verdict_of(code: int) -> Verdict:
    for verdict, known, _ in PRECEDENCE:
        if code == known:
            return verdict
    return Verdict.INTERRUPTED if code > SIGNAL_EXIT_BASE else Verdict.INTERNAL_ERROR


@dataclass(frozen=True)
class FleetOptions:
    inventory: Path
    clusters: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    concurrency: int = DEFAULT_CONCURRENCY
    shard: str | None = None
    precheck: bool = False
    targets: tuple[str, ...] = ()  # gate precheck --addon NAME=VERSION, over the inventory's
    progress: Callable[[str], None] = field(default=lambda line: None, repr=False)


MAX_SHARDS = 10_000  # the report schema's bound too: a merge never counts to a huge N


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses
    match = re.fullmatch(r"([0-9]{1,5})/([0-9]{1,5})", text)
    if match is None:
        raise ConfigError(f"--shard {text!r}: expected I/N, e.g. 2/5 (1-based)")
    i, n = int(match.group(1)), int(match.group(2))
    if not 1 <= n <= MAX_SHARDS or not 1 <= i <= n:
        raise ConfigError(f"--shard {text}: N is 1 to {MAX_SHARDS}, I between 1 and N")
    return i, n


def shard_key(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()


def shard_of(names: Iterable[str], index: int, total: int) -> set[str]:
    """The names of shard ``index`` of ``total``: by position in the order of their hashes."""
    ordered = sorted(names, key=lambda n: (shard_key(n), n))
    return {name for position, name in enumerate(ordered) if position % total == index - 1}


def run(options: CheckOptions, fleet: FleetOptions, live: LiveOptions) -> FleetReport:
    """Judge the selected clusters of the inventory; never raises (but on a signal)."""
    try:
        return _run(options, fleet, live)
    except GateError as exc:
        report = error_report(exc)
        return FleetReport(inventory=str(fleet.inventory), error=report.error)


def _run(options: CheckOptions, fleet: FleetOptions, live: LiveOptions) -> FleetReport:
    shard = parse_shard(fleet.shard)
    if fleet.concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    inventory = load_inventory(fleet.inventory)
    base = configure(options, in_fleet=True)
    digest = config_digest(options, fleet)
    selected = _select(inventory, fleet)
    if any(c.input is None for c in selected):  # offline fleets never load the HTTP stack
        from gate.api.client import Throttle

        # one for the whole run: a 429 from an endpoint slows every worker that uses it
        live = replace(live, throttle=live.throttle or Throttle())
    if base.baseline is not None:
        check_fleet(base.baseline, [c.name for c in selected])
    head = FleetReport(
        inventory=inventory.file,
        inventory_digest=inventory.digest,
        config_digest=digest,
        shard=shard,
        selected=len(selected),
    )
    if not selected:
        wanted = ", ".join((*fleet.clusters, *fleet.select))
        return replace(
            head,
            error=ErrorInfo(
                Verdict.INCOMPLETE,
                f"{inventory.file}: the selection ({wanted}) matches no cluster: nothing judged",
            ),
        )
    notes: list[str] = []
    if shard is not None:
        mine = shard_of((c.name for c in selected), *shard)
        selected = [c for c in selected if c.name in mine]
        notes.append(
            f"shard {shard[0]}/{shard[1]}: {len(selected)} of {head.selected} selected clusters"
        )
    results = _judge_all(selected, options, base, fleet, live)
    interrupted = next((r for r in results if isinstance(r, Interrupted)), None)
    done = tuple(r for r in results if isinstance(r, ClusterResult))
    head = replace(head, clusters=done, notes=tuple(notes))
    if interrupted is not None:
        return replace(
            head,
            signal=interrupted.signum,
            error=ErrorInfo(
                Verdict.INTERRUPTED,
                f"interrupted after {len(done)} of {len(selected)} clusters: no verdict",
            ),
        )
    return head


def _select(inventory: Inventory, fleet: FleetOptions) -> list[Cluster]:
    names = {c.name for c in inventory.clusters}
    unknown = [n for n in fleet.clusters if n not in names]
    if unknown:
        raise ConfigError(
            f"--cluster {', '.join(unknown)}: not in {inventory.file} "
            f"({len(names)} clusters listed)"
        )
    wanted: list[tuple[str, str]] = []  # all must match: env=prod and env=dev match nothing
    for item in fleet.select:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--select {item!r}: expected KEY=VALUE (a label)")
        wanted.append((key.strip(), value.strip()))
    chosen = []
    for cluster in inventory.clusters:
        if fleet.clusters and cluster.name not in fleet.clusters:
            continue
        labels = dict(cluster.labels)
        if all(labels.get(k) == v for k, v in wanted):
            chosen.append(cluster)
    return chosen


def _judge_all(
    clusters: Sequence[Cluster],
    options: CheckOptions,
    base: Config,
    fleet: FleetOptions,
    live: LiveOptions,
) -> list[ClusterResult | Interrupted]:
    total = len(clusters)
    by_name: dict[str, ClusterResult] = {}
    lock = threading.Lock()
    pool = ThreadPoolExecutor(
        max_workers=max(1, min(fleet.concurrency, total)), thread_name_prefix="gate"
    )
    futures: dict[Future[ClusterResult], Cluster] = {
        pool.submit(_judge_one, cluster, options, base, fleet, live): cluster
        for cluster in clusters
    }
    try:
        for future in as_completed(futures):
            cluster = futures[future]
            result = future.result()  # _judge_one never raises
            with lock:
                by_name[cluster.name] = result
                fleet.progress(f"[{len(by_name)}/{total}] {cluster.name}: {_line(result.report)}")
    except Interrupted as exc:
        pool.shutdown(wait=False, cancel_futures=True)
        return [*(by_name[name] for name in sorted(by_name)), exc]
    pool.shutdown(wait=True)
    # by name: a merge of shards lists them in the same order as the unsharded run
    return [by_name[name] for name in sorted(by_name)]


def _line(report: Report) -> str:
    verdict = report.verdict.value.upper()
    if report.error is not None:
        return f"{verdict} (exit {report.exit_code}): {report.error.message[:200]}"
    if report.verdict is Verdict.BLOCKED:
        return f"{verdict} ({report.count(Outcome.BLOCKING)} blocking)"
    if report.pending:
        return f"{verdict} ({len(report.pending)} pending)"
    return f"{verdict} ({report.count(Outcome.ADVISORY)} advisory)"


def _judge_one(
    cluster: Cluster,
    options: CheckOptions,
    base: Config,
    fleet: FleetOptions,
    live: LiveOptions,
) -> ClusterResult:
    labels = cluster.labels

    def work() -> Report:
        mine = _cluster_options(options, cluster)
        if cluster.input is not None:
            config = _cluster_config(base, cluster, options)
            source = str(cluster.input)
            return judge(read_response(source), source, mine, config)
        from gate import live as live_mode

        settings = _cluster_live(live, cluster)
        if fleet.precheck:
            return live_mode.precheck(mine, settings, _targets(cluster, fleet))
        return live_mode.check(mine, settings)

    report = guarded(work, str(cluster.input or ""))
    return ClusterResult(cluster.name, labels, replace(report, cluster=cluster.name))


def _merged(cli: tuple[str, ...], inventory: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """The inventory's KEY=VALUE pairs under the command line's: a flag wins over the file."""
    given = {item.partition("=")[0].strip() for item in cli}
    return (*cli, *(f"{k}={v}" for k, v in inventory if k not in given))


def _cluster_options(options: CheckOptions, cluster: Cluster) -> CheckOptions:
    return replace(
        options,
        cluster=cluster.name,
        params=_merged(options.params, cluster.params),
        enforcement=_merged(options.enforcement, cluster.enforcement),
    )


def _cluster_config(base: Config, cluster: Cluster, options: CheckOptions) -> Config:
    """The checked base config with this cluster's parameters and levels (checked again)."""
    settings = base.settings
    params = dict(settings.params)
    given = {item.partition("=")[0].strip() for item in options.params}
    params.update({k: v for k, v in cluster.params if k not in given})
    levels = dict(settings.enforcement)
    flagged = {item.partition("=")[0].strip() for item in options.enforcement}
    where = f"inventory {cluster.name}"
    for key, value in cluster.enforcement:
        if key not in flagged:
            levels[key] = (Enforcement(value), where)
    config = make_config(
        base.policies,
        base.waivers,
        replace(settings, cluster=cluster.name, params=params, enforcement=levels),
    )
    return replace(config, baseline=base.baseline, baseline_note=base.baseline_note, in_fleet=True)


def _targets(cluster: Cluster, fleet: FleetOptions) -> tuple[str, ...]:
    given = {item.partition("=")[0].strip() for item in fleet.targets}
    return (*fleet.targets, *(f"{k}={v}" for k, v in cluster.addons if k not in given))


def _cluster_live(live: LiveOptions, cluster: Cluster) -> LiveOptions:
    from gate.live import AKSK_VARIABLES, TOKEN_VARIABLE

    environ = dict(live.environ)
    if cluster.ak_env:
        # The live path reads the first standard AK/SK pair: give it this cluster's, and only it.
        for name in (TOKEN_VARIABLE, *(n for names in AKSK_VARIABLES for n in names)):
            environ.pop(name, None)
        ak, sk, token = AKSK_VARIABLES[0]
        for variable, target in (
            (cluster.ak_env, ak),
            (cluster.sk_env, sk),
            (cluster.security_token_env, token),
        ):
            if not variable:
                continue
            value = live.environ.get(variable, "")
            if not value:
                raise ConfigError(
                    f"cluster {cluster.name}: the variable {variable} (its credentials) is not set"
                )
            environ[target] = value
    return dataclasses.replace(
        live,
        endpoint=cluster.endpoint or None,
        region=cluster.region or None,
        project_id=cluster.project_id or None,
        cluster_id=cluster.cluster_id,
        token_env=cluster.token_env or None,
        environ=environ,
        save_response=None,
    )


def config_digest(options: CheckOptions, fleet: FleetOptions) -> str:
    """SHA-256 of what decides a verdict besides the responses: policy and waiver files, flags.

    Shards of one fleet must agree on it; ``--now`` is left out (each shard runs at its time).
    """
    digest = hashlib.sha256()
    files = _policy_files(options.policies)
    if options.waivers is not None:
        files.append(options.waivers)
    for path in files:
        digest.update(path.name.encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
        digest.update(b"\0")
    flags: dict[str, Any] = {
        "params": sorted(options.params),
        "overrides": sorted(options.overrides),
        "reason": options.reason,
        "enforcement": sorted(options.enforcement),
        "fail_on": options.fail_on,
        "all_tasks": options.all_tasks,
        "addons": sorted(options.addons),
        "type": options.task_type,
        "allow_empty": options.allow_empty,
        "strict_schema": options.strict_schema,
        "clusters": sorted(fleet.clusters),
        "select": sorted(fleet.select),
        "precheck": fleet.precheck,
        "targets": sorted(fleet.targets),
    }
    digest.update(json.dumps(flags, sort_keys=True).encode())
    return "sha256:" + digest.hexdigest()


def _policy_files(paths: Sequence[Path]) -> list[Path]:
    if not paths:
        return sorted(default_policy_dir().glob("*.yaml"))
    load_policies(paths)  # the same errors as a run, before hashing
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        else:
            files.append(path)
    return files
