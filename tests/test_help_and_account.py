"""Small promises of the help texts and the text account (issue 11, "smaller things found")."""

from __future__ import annotations

import re
from dataclasses import replace

import click
from ci_support import TASK, make_finding
from click.testing import CliRunner
from test_readme import commands

from gate.cli import cli
from gate.report import Enforcement, Outcome, Report, Verdict
from gate.reporters import text

FLAG = r"(?<![\w-])--[a-z][a-z-]*"


def command_of(path: list[str]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


def test_no_help_mentions_a_flag_its_command_does_not_have() -> None:
    checked = 0
    for path in commands():
        command = command_of(path)
        flags = {"--help"} | {f for p in command.params for f in (*p.opts, *p.secondary_opts)}
        shown = CliRunner().invoke(cli, [*path, "--help"], terminal_width=100, env={}).stdout
        # `gate OTHER --flag` in a help text names OTHER's flag: checked against OTHER
        for other, words in re.findall(r"`gate ([a-z]+)([^`]*)`", shown):
            others = {f for p in command_of([other]).params for f in p.opts}
            for mentioned in re.findall(FLAG, words):
                assert mentioned in others, (
                    f"gate {' '.join(path)} --help: gate {other} {mentioned}"
                )
        for mentioned in re.findall(FLAG, re.sub(r"`gate [a-z]+[^`]*`", "", shown)):
            assert mentioned in flags, f"gate {' '.join(path)} --help mentions {mentioned}"
            checked += 1
    assert checked > 50, "the help texts were read"


def test_precheck_help_names_only_its_own_flags() -> None:
    shown = CliRunner().invoke(cli, ["precheck", "--help"], terminal_width=100, env={}).stdout
    assert "--input" not in shown and "--wait" not in shown
    assert "--addon NAME=VERSION" in shown


def test_the_account_lists_hard_mandatory_findings_before_soft_ones() -> None:
    soft = make_finding(Outcome.BLOCKING, Enforcement.SOFT, policy="soft-one", message="soft")
    hard = make_finding(Outcome.BLOCKING, Enforcement.HARD, policy="hard-one", message="hard")
    advisory = make_finding(Outcome.ADVISORY, Enforcement.ADVISORY, policy="adv", message="adv")
    in_cluster = [replace(f, task=None) for f in (advisory, soft, hard)]
    report = Report(
        verdict=Verdict.BLOCKED,
        findings=(advisory, soft, hard, *in_cluster),
        judged=(TASK,),
    )
    lines = text.render(report).splitlines()
    marks = [line.split()[1] for line in lines if line.startswith(("  BLOCK", "  WARN"))]
    assert marks == ["hard-one", "soft-one", "adv"] * 2, "per task and for the cluster"


def test_the_header_names_the_cluster_once() -> None:
    live = Report(
        verdict=Verdict.PASS,
        source="https://cce.example cluster 6ab9c9b4",
        cluster="6ab9c9b4",
        judged=(TASK,),
    )
    assert text.render(live).splitlines()[0] == "gate 0.1.0: https://cce.example cluster 6ab9c9b4"
    offline = replace(live, source="response.json")
    assert text.render(offline).splitlines()[0] == "gate 0.1.0: response.json (cluster 6ab9c9b4)"
