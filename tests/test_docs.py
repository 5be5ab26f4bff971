"""The examples in the docs run as shown.

The convention (README's "Documentation" list points here): in a ```console block, each line
``$ gate ARGS  # exit N`` is a command that must run and exit with N, in a copy of `examples/` and
`policies/`; the lines below it, up to the next ``$``, are output it must print, in that order
(``...`` stands for any lines). A ```yaml file=NAME block is written to NAME first. Commands in
```sh blocks are not run (live mode needs a cloud). Shell completion is tested here too.
"""

from __future__ import annotations

import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import ROOT, invoke

from gate import live

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# the live examples show a run without credentials, whatever the machine running the tests has
NO_CLOUD: dict[str, str | None] = dict.fromkeys(
    (
        live.TOKEN_VARIABLE,
        *(name for names in live.AKSK_VARIABLES for name in names),
        *live.PROJECT_VARIABLES,
        live.REGION_VARIABLE,
        "GATE_ENDPOINT",
        "GATE_CLUSTER_ID",
    )
)
FENCE = re.compile(r"^```(\w*)([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
COMMAND = re.compile(r"^\$ (?P<command>.+?)  # exit (?P<code>\d+)$")


@dataclass
class Example:
    line: int
    command: str
    code: int
    output: list[str]


def blocks(text: str) -> list[tuple[str, str, str, int]]:
    """(language, the rest of the info string, body, line of the body) of each fenced block."""
    return [
        (m.group(1), m.group(2).strip(), m.group(3), text.count("\n", 0, m.start(3)) + 1)
        for m in FENCE.finditer(text)
    ]


def page_files(text: str) -> dict[str, str]:
    files = {}
    for language, info, body, _ in blocks(text):
        if language in ("yaml", "json") and info.startswith("file="):
            files[info.removeprefix("file=")] = body
    return files


def examples(text: str) -> list[Example]:
    found: list[Example] = []
    for language, _, body, first in blocks(text):
        if language != "console":
            continue
        for offset, line in enumerate(body.splitlines()):
            if line.startswith("$ "):
                match = COMMAND.match(line)
                assert match, f"line {first + offset}: a `$ ` line needs `  # exit N`: {line}"
                command = match.group("command")
                assert command.startswith("gate "), f"line {first + offset}: not gate: {line}"
                found.append(Example(first + offset, command, int(match.group("code")), []))
            else:
                assert found, f"line {first + offset}: output before any `$ ` line"
                found[-1].output.append(line.rstrip())
    return found


def printed_in_order(expected: list[str], printed: list[str]) -> bool:
    lines = iter(printed)
    return all(any(got == want for got in lines) for want in expected if want != "...")


def with_examples() -> list[Path]:
    return [page for page in PAGES if examples(page.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("page", with_examples(), ids=lambda p: p.name)
def test_every_example_of_the_page_runs_as_shown(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = page.read_text(encoding="utf-8")
    runnable = examples(text)
    for folder in ("examples", "policies"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    for name, content in page_files(text).items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for example in runnable:
        code, stdout, stderr = invoke(shlex.split(example.command)[1:], NO_CLOUD)
        where = f"{page.name}:{example.line}: {example.command}"
        assert code == example.code, f"{where}: exit {code}\n{stdout}{stderr}"
        printed = [line.rstrip() for line in (stdout + stderr).splitlines()]
        assert printed_in_order(example.output, printed), f"{where}: printed\n{stdout}{stderr}"


def test_the_docs_hold_runnable_examples_and_the_harness_catches_a_wrong_one() -> None:
    pages = {page.name: examples(page.read_text(encoding="utf-8")) for page in PAGES}
    for name in ("policies.md", "waivers.md", "commands.md", "input.md", "live.md"):
        assert pages[name], f"{name} shows no runnable example"
    assert not printed_in_order(["Verdict: PASS"], ["Verdict: BLOCKED (exit 1)"])
    assert printed_in_order(["a", "...", "c"], ["a", "b", "c"])
    assert not printed_in_order(["c", "a"], ["a", "b", "c"])
    with pytest.raises(AssertionError, match="needs `  # exit N`"):
        examples("```console\n$ gate check\n```\n")


@pytest.mark.parametrize(
    ("shell", "start"),
    [
        ("bash_source", "_gate_completion() {"),
        ("zsh_source", "#compdef gate"),
        ("fish_source", "function _gate_completion"),
    ],
)
@pytest.mark.process
def test_shell_completion_scripts_are_produced(shell: str, start: str) -> None:
    code, stdout, _ = invoke([], {"_GATE_COMPLETE": shell})
    assert code == 0
    assert stdout.startswith(start) and "_GATE_COMPLETE" in stdout
    assert shell.removesuffix("_source") in (ROOT / "docs" / "commands.md").read_text()


def test_bash_completion_completes_commands_and_flags() -> None:
    env = {"_GATE_COMPLETE": "bash_complete", "COMP_WORDS": "gate pre", "COMP_CWORD": "1"}
    assert invoke([], env)[1].split() == ["plain,precheck"]
    env.update({"COMP_WORDS": "gate check --fail-on ", "COMP_CWORD": "3"})
    assert invoke([], env)[1].split() == ["plain,soft-mandatory", "plain,advisory", "plain,new"]
