"""YAML is bounded data: every refusal names the file and line, and both loaders agree."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import CLI_ENV
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate import yamlfile
from gate.cli import cli
from gate.errors import ConfigError
from gate.yamlfile import MAX_BYTES, MAX_DEPTH, load_documents

LOADER_NAMES = sorted(yamlfile.LOADERS)


@pytest.fixture(params=LOADER_NAMES)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(yamlfile, "_Loader", yamlfile.LOADERS[request.param])
    yield request.param


def test_both_loaders_are_tested() -> None:
    # the C loader is what users get; the pure one is what they get without libyaml
    assert LOADER_NAMES == ["libyaml", "python"]


# (file content, the error after "<file>:")
REFUSED: list[tuple[bytes, str]] = [
    (b"a: &x 1\nb: *x\n", "1: anchor &x is not allowed: write the value out"),
    (b"a: &x [1, *x]\n", "1: anchor &x is not allowed: write the value out"),
    (b"a: *x\n", "1: alias *x is not allowed: write the value out"),
    (
        b"a: &a ['lol','lol']\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b]\n",
        "1: anchor &a is not allowed: write the value out",
    ),
    (b"a: !!binary aGk=\n", "1: tag !!binary is not allowed: gate reads plain data only"),
    (b"a: !!set {x}\n", "1: tag !!set is not allowed: gate reads plain data only"),
    (
        b"a: !!timestamp 2026-01-01\n",
        "1: tag !!timestamp is not allowed: gate reads plain data only",
    ),
    (b"a: !!str 1\n", "1: tag !!str is not allowed: gate reads plain data only"),
    (
        b"x: 1\na: !!python/object/apply:os.system [id]\n",
        "2: tag !!python/object/apply:os.system is not allowed: gate reads plain data only",
    ),
    (b"a: !foo bar\n", "1: tag !foo is not allowed: gate reads plain data only"),
    (b"a: ! bar\n", "1: tag ! is not allowed: gate reads plain data only"),
    (b"a:\n  ? [1, 2]\n  : x\n", "2: a mapping or a list cannot be a key"),
    (b"? {a: 1}\n: x\n", "1: a mapping or a list cannot be a key"),
    (b"1: x\n", "1: key '1' is not a string: put it in quotes if it is meant"),
    (b"null: x\n", "1: key 'null' is not a string: put it in quotes if it is meant"),
    (b"a:\n  yes: x\n", "2: key 'yes' is not a string: put it in quotes if it is meant"),
    (b"<<: {a: 1}\n", "1: merge keys (<<) are not allowed: write the keys out"),
    (b'a: "\\x1b[31mred"\n', "1: character U+001B (a control character) is not allowed"),
    (b'a: "\\u0007"\n', "1: character U+0007 (a control character) is not allowed"),
    (b'a: "one\\rtwo"\n', "1: character U+000D (a control character) is not allowed"),
    (b'a: "\\u202e"\n', "1: character U+202E (right-to-left override) is not allowed"),
    (b'"\\x1b": x\n', "1: character U+001B (a control character) is not allowed"),
    (b"a: 1\nb: x\x07y\n", "2:5: character U+0007 (a control character) is not allowed"),
    (b"a: x\x00\n", "1:5: character U+0000 (a control character) is not allowed"),
    ("a: x\u2028y\n".encode(), "1:5: character U+2028 (line separator) is not allowed"),
    ("a: x\x85\n".encode(), "1:5: character U+0085 (a control character) is not allowed"),
    ("a: x\ufeff\n".encode(), "1:5: character U+FEFF (zero width no-break space) is not allowed"),
    (b"a: caf\xe9\n", "1:7: not UTF-8 text (byte 0xe9); save the file as UTF-8"),
    ("a: 1\n".encode("utf-16"), "1:1: not UTF-8 text (byte 0xff); save the file as UTF-8"),
    (
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
        f"1: nested more than {MAX_DEPTH} levels deep",
    ),
    (b"a: " + b"9" * 1001 + b"\n", "1: a number longer than 1000 digits"),
    (b"a: 1\na: 2\n", "2: key 'a' is written twice"),
    (b"a: [1\n", "2:1: invalid YAML: expected ',' or ']', but got '<stream end>'"),
]


@pytest.mark.parametrize(("content", "error"), REFUSED, ids=[e for _, e in REFUSED])
def test_hostile_yaml_is_refused_with_file_and_line(
    loader: str, tmp_path: Path, content: bytes, error: str
) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_documents(path)
    if loader == "libyaml" and "invalid YAML" in error:
        # libyaml words syntax errors its own way; the place is the same
        assert caught.value.message.startswith(f"{path}:{error.split(' ')[0]}")
    else:
        assert caught.value.message == f"{path}:{error}"


def test_a_lone_surrogate_escape_is_refused_by_both_loaders(loader: str, tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b'a: "\\ud800"\n')
    with pytest.raises(ConfigError, match=f"^{path}:1:? ?"):
        load_documents(path)


ACCEPTED: list[tuple[bytes, Any]] = [
    (b"\xef\xbb\xbfa: 1\n", {"a": 1}),  # a byte-order mark at the start
    (b"a: x\r\nb: 'y'\r\n", {"a": "x", "b": "y"}),  # Windows line breaks
    (b"expires: 9999-12-31\n", {"expires": "9999-12-31"}),  # dates stay strings
    (b"a: |\n  two\n  lines\tand a tab\n", {"a": "two\nlines\tand a tab\n"}),
    (
        'm: "caf\u00e9 \U0001f680 \u65e5\u672c"\n'.encode(),
        {"m": "caf\u00e9 \U0001f680 \u65e5\u672c"},
    ),
    (b"a: " + b"9" * 1000 + b"\n", {"a": int("9" * 1000)}),
    (b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, None),
]


@pytest.mark.parametrize(("content", "data"), ACCEPTED)
def test_plain_data_loads_alike_in_both_loaders(
    loader: str, tmp_path: Path, content: bytes, data: Any
) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(content)
    loaded = load_documents(path)[0].data
    if data is None:  # the deepest nesting allowed: count the levels
        depth = 0
        while isinstance(loaded, list):
            depth, loaded = depth + 1, loaded[0] if loaded else None
        assert depth == MAX_DEPTH
    else:
        assert loaded == data


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"# " + b"x" * MAX_BYTES + b"\n")
    with pytest.raises(ConfigError) as caught:
        load_documents(path)
    assert caught.value.message == f"{path}: larger than 1 MiB; not read"


def test_folders_fifos_and_missing_files_are_named(tmp_path: Path) -> None:
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)  # nobody writes to it: opening it must not hang
    cases = {
        folder: "is a folder, not a YAML file",
        fifo: "not a regular file (a FIFO, socket or device)",
        tmp_path / "gone.yaml": "no such file",
    }
    for path, error in cases.items():
        with pytest.raises(ConfigError) as caught:
            load_documents(path)
        assert caught.value.message == f"{path}: {error}"


def test_hostile_waivers_and_policies_exit_2_through_the_cli(tmp_path: Path) -> None:
    response = Path(__file__).parent.parent / "examples" / "blocked-coredns.json"
    waivers = tmp_path / "w.yaml"
    waivers.write_text("waivers:\n  - &w {policy: x, reason: r, owner: o, expires: 2026-01-01}\n")
    policy = tmp_path / "p.yaml"
    policy.write_text("apiVersion: !!python/name:os.system gate/v1\n")
    for flag, path in (("--waivers", waivers), ("--policy", policy)):
        result = CliRunner().invoke(
            cli, ["check", "-i", str(response), flag, str(path)], env=CLI_ENV
        )
        assert result.exit_code == 2, result.output
        assert f"{path}:" in result.stderr + result.stdout


# fragments that together make every kind of YAML this module refuses, and plenty it loads
FRAGMENTS = [
    "a", "b", "1", "-1", "0x1f", "1.5", ".nan", ".inf", "true", "null", "~", "9999-12-31",
    "'q'", '"d"', '"\\x1b"', '"\\u0007"', '"\\ud800"', '"\\r"', "&a ", "*a", "&b ", "*b",
    "!!binary ", "!!set ", "!foo ", "! ", "!!python/object:os.system ", "<<", "? ",
    ": ", "- ", ", ", "[", "]", "{", "}", "|", ">", "#c", "\n", "\n  ", "\n    ", "\t",
    "\x07", "\u202e", "\u2028", "\x85", "---\n", "...\n", "%YAML 1.1\n",
]  # fmt: skip


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=14).map("".join))
def test_any_yaml_loads_or_is_a_config_error_with_file_and_line(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = tmp_path_factory.mktemp("y") / "p.yaml"
    path.write_text(text, encoding="utf-8")
    answers = []
    for name in LOADER_NAMES:
        original = yamlfile._Loader
        yamlfile._Loader = yamlfile.LOADERS[name]
        try:
            answers.append(("data", [d.data for d in load_documents(path)]))
        except ConfigError as exc:
            assert exc.message.startswith(f"{path}:"), exc.message
            line = exc.message[len(str(path)) + 1 :].split(":")[0]
            assert line.isdigit(), exc.message
            answers.append(("error", None))
        finally:
            yamlfile._Loader = original
    if all(kind == "data" for kind, _ in answers):
        assert repr(answers[0]) == repr(answers[1])  # repr: nan is not equal to itself
    # through the CLI, as a policy and as a waivers file: never a crash, never a pass
    for flag in ("--policy", "--waivers"):
        result = CliRunner().invoke(cli, ["validate", flag, str(path)], env=CLI_ENV)
        assert result.exit_code in (0, 2), result.output
        assert "Traceback" not in result.output
