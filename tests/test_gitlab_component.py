"""The GitLab CI/CD component (templates/gate.yml) and the GitLab example pipeline.

Validated offline with ``check-jsonschema --builtin-schema vendor.gitlab-ci`` (each YAML document
of the component on its own), and the component's job run as a runner would run it: its inputs
interpolated, its variables expanded, its script given to bash, for a pass, a blocked and an
incomplete result, a usage error and an install failure, checking the exit code, the dotenv and
the reports each time. (gitlab-ci-local needs docker for the image the job names: simulated.)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from ci_support import CI, EXAMPLE, check_jsonschema, validate_codequality
from helpers import NOW, ROOT

from gate import __version__

pytestmark = pytest.mark.process

TEMPLATE = ROOT / "templates" / "gate.yml"
EXAMPLE_PIPELINE = ROOT / "examples" / "gitlab" / "pre-upgrade.gitlab-ci.yml"
BIN = Path(sys.executable).parent
# The keywords of spec:inputs that are generally available (GitLab 17.0); nothing in beta.
GA_INPUT_KEYWORDS = {"description", "default", "type", "options", "regex"}


def component_documents() -> list[Any]:
    return list(yaml.safe_load_all(TEMPLATE.read_text(encoding="utf-8")))


def the_job() -> dict[str, Any]:
    _, jobs = component_documents()
    (job,) = jobs.values()
    assert isinstance(job, dict)
    return job


def test_each_document_of_the_gitlab_component_validates(tmp_path: Path) -> None:
    # The CI schema describes one file; the component is two documents (the `spec:` header, then
    # the jobs), each a valid file on its own, so each is checked separately.
    header, jobs = component_documents()
    assert set(header) == {"spec"} and header["spec"]["inputs"]
    paths = []
    for name, document in (("header.yml", header), ("jobs.yml", jobs)):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        paths.append(path)
    result = check_jsonschema("vendor.gitlab-ci", *paths)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_gitlab_schema_really_checks_the_component_job(tmp_path: Path) -> None:
    """A control: the job document is not waved through as unknown keys."""
    _, jobs = component_documents()
    (job,) = jobs.values()
    job["allow_failure"] = "sometimes"
    path = tmp_path / "jobs.yml"
    path.write_text(yaml.safe_dump(jobs), encoding="utf-8")
    result = check_jsonschema("vendor.gitlab-ci", path)
    assert result.returncode == 1
    assert "allow_failure" in result.stdout


def test_the_component_uses_no_beta_feature() -> None:
    """No `component` context ($[[ component.* ]], spec:component), only inputs, and only the
    input keywords every GitLab with components has: the same file works with include:
    component, project and local."""
    header, _ = component_documents()
    assert set(header["spec"]) == {"inputs"}
    for name, spec in header["spec"]["inputs"].items():
        assert set(spec) <= GA_INPUT_KEYWORDS, name
    text = TEMPLATE.read_text(encoding="utf-8")
    contexts = set(re.findall(r"\$\[\[\s*(\w+)\.", text))
    assert contexts == {"inputs"}
    assert "GitLab 17.0" in text


def test_the_component_job_uses_every_input_and_publishes_the_reports() -> None:
    header, _ = component_documents()
    text = TEMPLATE.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    used = set(re.findall(r"\$\[\[ inputs\.([\w-]+) \]\]", text))
    assert used == set(header["spec"]["inputs"])
    job = the_job()
    assert job["artifacts"]["when"] == "always"
    assert set(job["artifacts"]["reports"]) == {"junit", "codequality", "dotenv"}


def test_the_component_installs_from_a_source_the_user_controls() -> None:
    inputs = component_documents()[0]["spec"]["inputs"]
    assert inputs["version"]["default"] == __version__
    # the instance running the pipeline, never a fixed public host
    assert inputs["repository"]["default"] == "${CI_SERVER_URL}/cce-addon-gate/gate.git"
    assert "gitlab.com" not in TEMPLATE.read_text(encoding="utf-8").replace("docs.gitlab.com", "")


def test_the_gitlab_example_pipeline_validates() -> None:
    result = check_jsonschema("vendor.gitlab-ci", EXAMPLE_PIPELINE)
    assert result.returncode == 0, result.stdout + result.stderr
    pipeline = yaml.safe_load(EXAMPLE_PIPELINE.read_text(encoding="utf-8"))
    assert pipeline["stages"] == ["precheck", "gate", "upgrade"]
    assert pipeline["gate"]["allow_failure"] == {"exit_codes": [5]}
    assert any("GATE_VERDICT" in line for line in pipeline["upgrade"]["script"])
    # merge-request pipelines, so the JUnit and Code Quality widgets appear on the MR
    conditions = [rule["if"] for rule in pipeline["workflow"]["rules"]]
    assert '$CI_PIPELINE_SOURCE == "merge_request_event"' in conditions


def test_the_examples_name_one_version() -> None:
    """The component, the install in the example and the docs name the same release."""
    texts = {
        path: path.read_text(encoding="utf-8")
        for path in (TEMPLATE, EXAMPLE_PIPELINE, ROOT / "docs" / "ci.md")
    }
    for path, text in texts.items():
        versions = set(re.findall(r"gate/gate/gate@([\w.]+)", text))
        versions |= set(re.findall(r"gate\.git@([\w.$]+)", text))
        assert versions == {__version__}, (path, versions)


# --- the job, run as a runner would run it --------------------------------------------------------


class JobRun:
    def __init__(self, result: subprocess.CompletedProcess[str], reports: Path) -> None:
        self.code = result.returncode
        self.log = result.stdout + result.stderr
        self.reports = reports

    @property
    def dotenv(self) -> dict[str, str]:
        text = (self.reports / "gate.env").read_text(encoding="utf-8")
        return dict(line.split("=", 1) for line in text.splitlines())

    def junit_errors(self) -> list[ET.Element]:
        root = ET.parse(self.reports / "junit.xml").getroot()
        return list(root.iter("error"))


def run_job(
    tmp_path: Path,
    files: dict[str, Path],
    runner: dict[str, str] | None = None,
    venv: Path | None = None,
    **given: Any,
) -> JobRun:
    header, _ = component_documents()
    inputs = {name: item.get("default", "") for name, item in header["spec"]["inputs"].items()}
    unknown = set(given) - set(inputs)
    assert not unknown, unknown
    inputs.update(given)
    job = the_job()

    def interpolate(value: str) -> str:
        def one(match: re.Match[str]) -> str:
            item = inputs[match.group(1)]
            return str(item).lower() if isinstance(item, bool) else str(item)

        return re.sub(r"\$\[\[ inputs\.([\w-]+) \]\]", one, value)

    environment = {
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_JOB_ID": "4242",
        "CI_SERVER_URL": "https://gitlab.example.internal",
        "GITLAB_USER_LOGIN": "gl-user",
        "GATE_NOW": NOW,
        **(runner or {}),
    }

    def expand(value: str) -> str:
        """The runner expands $VAR and ${VAR} in job variables."""
        return re.sub(
            r"\$\{(\w+)\}|\$(\w+)",
            lambda m: environment.get(m.group(1) or m.group(2), ""),
            value,
        )

    for key, value in job["variables"].items():
        environment[key] = expand(interpolate(str(value)))
    environment["GATE_VENV"] = str(venv or tmp_path / "venv")
    for name, source in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(source.read_bytes())
    # GitLab's bash shell runs the script lines with -e and pipefail.
    result = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", "\n".join(job["script"])],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    reports = tmp_path / interpolate(job["artifacts"]["paths"][0]).rstrip("/")
    for kind, path in job["artifacts"]["reports"].items():
        assert (tmp_path / interpolate(path)).exists(), (kind, result.stdout + result.stderr)
    validate_codequality(reports / "codequality.json")
    return JobRun(result, reports)


def test_job_on_the_blocked_example(tmp_path: Path) -> None:
    job = run_job(tmp_path, {"response.json": EXAMPLE}, install=False, response="response.json")
    assert job.code == 1, job.log
    assert job.dotenv == {
        "GATE_VERDICT": "blocked",
        "GATE_EXIT_CODE": "1",
        "GATE_BLOCKING": "2",
        "GATE_ADVISORY": "0",
        "GATE_WAIVED": "0",
        "GATE_OVERRIDDEN": "0",
    }
    failures = list(ET.parse(job.reports / "junit.xml").getroot().iter("failure"))
    assert len(failures) == 2
    assert json.loads((job.reports / "report.json").read_text())["verdict"] == "blocked"
    assert (job.reports / "summary.md").read_text().startswith("## ⛔ gate: BLOCKED (exit 1)")


def test_job_on_a_passing_result(tmp_path: Path) -> None:
    job = run_job(
        tmp_path,
        {"r.json": CI / "waived-response.json", "waivers.yaml": CI / "waivers.yaml"},
        install=False,
        response="r.json",
        waivers="waivers.yaml",
    )
    assert job.code == 0, job.log
    assert job.dotenv["GATE_VERDICT"] == "pass" and job.dotenv["GATE_WAIVED"] == "1"
    assert job.junit_errors() == []


def test_job_on_an_incomplete_result(tmp_path: Path) -> None:
    job = run_job(
        tmp_path,
        {"r.json": ROOT / "tests" / "cases" / "incomplete-running" / "response.json"},
        install=False,
        response="r.json",
    )
    assert job.code == 5, job.log
    assert job.dotenv["GATE_VERDICT"] == "incomplete"
    (error,) = job.junit_errors()
    assert error.get("type") == "Incomplete"


def test_job_after_a_usage_error(tmp_path: Path) -> None:
    job = run_job(
        tmp_path,
        {"r.json": EXAMPLE},
        install=False,
        response="r.json",
        params="no-equals-sign",
    )
    assert job.code == 2, job.log
    # never internal-error: the verdict of the exit code, and reports that say so
    assert job.dotenv["GATE_VERDICT"] == "config-error"
    assert job.dotenv["GATE_EXIT_CODE"] == "2"
    (error,) = job.junit_errors()
    assert error.get("type") == "ConfigError"
    assert error.get("message", "").startswith("config-error: ")
    (issue,) = json.loads((job.reports / "codequality.json").read_text())
    assert issue["check_name"] == "gate/config-error"
    assert (job.reports / "summary.md").read_text().startswith("## ❌ gate: CONFIG-ERROR (exit 2)")


def test_job_when_gate_cannot_be_installed(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("the virtualenv cannot be made under a file")
    job = run_job(tmp_path, {"r.json": EXAMPLE}, venv=blocker / "venv", response="r.json")
    assert job.code == 7, job.log
    assert job.dotenv["GATE_VERDICT"] == "install-error"
    assert job.dotenv["GATE_EXIT_CODE"] == "7"
    (error,) = job.junit_errors()
    assert error.get("type") == "InstallError"
    assert "could not be installed" in error.get("message", "")
    assert not list(ET.parse(job.reports / "junit.xml").getroot().iter("failure"))
    (issue,) = json.loads((job.reports / "codequality.json").read_text())
    assert issue["check_name"] == "gate/install-error" and issue["severity"] == "blocker"
    assert not (job.reports / "report.json").exists()


FAKE_PYTHON = """#!/bin/sh
# python3 for these tests: `-m venv` makes a venv whose python records its arguments and fails
if [ "$1" = -m ] && [ "$2" = venv ]; then
  mkdir -p "$4/bin"
  printf '#!/bin/sh\\nprintf "%%s\\\\n" "$@" > "%s"\\nexit 1\\n' "$RECORD" > "$4/bin/python"
  chmod +x "$4/bin/python"
  exit 0
fi
exec "$REAL_PYTHON" "$@"
"""


@pytest.mark.parametrize(
    ("package", "expected"),
    [
        (
            "",
            "git+https://gitlab-ci-token:{token}@gitlab.example.internal/cce-addon-gate/gate.git@{v}",
        ),
        ("cce-addon-gate==9.9.9", "cce-addon-gate==9.9.9"),
    ],
)
def test_job_installs_from_the_source_it_is_given(
    tmp_path: Path, package: str, expected: str
) -> None:
    """By default the repository on the instance running the job, read with the job token (which
    the log never shows); with `package`, that requirement from the runners' package index."""
    token = "glcbt-secret-token-value"
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "python3").write_text(FAKE_PYTHON)
    (shims / "python3").chmod(0o755)
    record = tmp_path / "pip-args"
    job = run_job(
        tmp_path,
        {"r.json": EXAMPLE},
        runner={
            "CI_JOB_TOKEN": token,
            "RECORD": str(record),
            "REAL_PYTHON": sys.executable,
            "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}",
        },
        response="r.json",
        package=package,
    )
    assert job.code == 7, job.log
    args = record.read_text().splitlines()
    assert args[:4] == ["-m", "pip", "install", "--quiet"]
    assert args[-1] == expected.format(token=token, v=__version__)
    assert token not in job.log
    assert job.dotenv["GATE_VERDICT"] == "install-error"


def test_the_include_snippets_of_the_docs_validate(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    blocks = [
        b for b in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL) if b.startswith("include:")
    ]
    assert len(blocks) >= 3
    paths = []
    for i, block in enumerate(blocks):
        path = tmp_path / f"snippet-{i}.yml"
        # a pipeline needs a job of its own besides the included ones
        path.write_text(block + "other:\n  script: [echo]\n", encoding="utf-8")
        paths.append(path)
    result = check_jsonschema("vendor.gitlab-ci", *paths)
    assert result.returncode == 0, result.stdout + result.stderr
