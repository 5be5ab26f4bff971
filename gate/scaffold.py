"""``gate init``: a starting set of gate files in a folder, never overwriting one that exists.

What it writes (paths relative to the folder)::

    gate/policies/*.yaml                   the default policy set, to adapt
    gate/waivers.yaml                      a commented waivers file with no active waiver
    gate/tests/default.gate-test.yaml      tests of the default set (``gate test``)
    gate/tests/responses/*.json            the saved responses those tests judge
    .github/workflows/gate-pre-upgrade.yml     with ``ci="github"``
    gate-pre-upgrade.gitlab-ci.yml             with ``ci="gitlab"`` (include it from .gitlab-ci.yml)

A file that already exists is left as it is and reported as skipped: running it again, or in a
repository that has some of these files, is safe.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from gate.errors import ConfigError
from gate.files import atomic_write
from gate.policy import is_test_file
from gate.resources import data_dir, default_policy_dir

CI_SNIPPETS = {
    "github": ("github/pre-upgrade.yml", ".github/workflows/gate-pre-upgrade.yml"),
    "gitlab": ("gitlab/pre-upgrade.gitlab-ci.yml", "gate-pre-upgrade.gitlab-ci.yml"),
}

WAIVERS = """\
# Waivers: owned, dated exceptions that let a soft-mandatory or advisory finding pass.
# A hard-mandatory policy cannot be waived. `gate lint` refuses expired waivers and warns about
# those expiring within 14 days, and about a waiver that names neither an addon nor a risk.
#
# waivers:
#   - policy: addon-status-must-pass   # the policy ID (metadata.name)
#     addon: coredns                   # only findings about this add-on template
#     risk: AddonStatus                # only findings about this risk
#     reason: nodes are being drained for the kernel update
#     owner: platform-team
#     ticket: CHG-1234
#     expires: "2025-09-30"            # valid through that day (UTC)
waivers: []
"""

TESTS = """\
# Tests of the policies in ../policies: run them with `gate test --require-coverage gate/tests`.
apiVersion: gate/v1
kind: PolicyTest
policies: [../policies]
cases:
  - name: a failed Fatal risk, a failed AddonStatus and a failed Warning
    response: responses/blocked.json
    now: "2025-08-05T12:00:00Z"
    expect:
      verdict: blocked
      exit_code: 1
      policies:
        no-fatal-risks:
          - {addon: coredns, risk: AddonValidate, outcome: blocking}
        addon-status-must-pass:
          - {addon: coredns, risk: AddonStatus, outcome: blocking}
        no-failed-warnings:
          - {addon: coredns, risk: NodeResource, outcome: advisory}
  - name: every check passed
    response: responses/passing.json
    now: "2025-08-05T12:00:00Z"
    expect:
      verdict: pass
      exit_code: 0
      policies:
        no-fatal-risks: pass
        addon-status-must-pass: pass
        no-failed-warnings: pass
"""


def _response(status: str, risks: list[tuple[str, str, str]]) -> str:
    """A saved ListAddonPrecheckTasks response with one coredns task."""
    task = {
        "metadata": {
            "type": "addonUpgrade",
            "taskID": "8ca259cc-553b-11e9-926f-0255ac101a31",
            "addonTemplateName": "coredns",
            "addonInstanceName": "cceaddon-coredns",
            "addonInstanceID": "1d43577d-4b50-4723-b05b-2121f47cb219",
            "createTimeStamp": "2025-08-05T10:00:00Z",
        },
        "spec": {"addonTargetVersion": "1.30.33"},
        "status": {
            "status": status,
            "message": "Addon task check finish",
            "riskList": [
                {"riskName": name, "status": state, "level": level, "message": f"{name} {state}"}
                for name, level, state in risks
            ],
        },
    }
    document = {"kind": "AddonCheck", "apiVersion": "v3", "items": [task]}
    return json.dumps(document, indent=2) + "\n"


RISKS = [("AddonValidate", "Fatal"), ("AddonStatus", "Warning"), ("NodeResource", "Warning")]


@dataclass(frozen=True)
class Written:
    path: Path
    created: bool  # False: it existed and was left alone


def files(ci: str | None) -> dict[str, str]:
    """What ``gate init`` writes: relative path -> text."""
    wanted = {
        f"gate/policies/{p.name}": p.read_text(encoding="utf-8")
        for p in sorted(default_policy_dir().glob("*.yaml"))
        if not is_test_file(p)  # the shipped tests read fixtures that are not scaffolded
    }
    wanted["gate/waivers.yaml"] = WAIVERS
    wanted["gate/tests/default.gate-test.yaml"] = TESTS
    wanted["gate/tests/responses/blocked.json"] = _response(
        "Failed", [(name, level, "Failed") for name, level in RISKS]
    )
    wanted["gate/tests/responses/passing.json"] = _response(
        "Success", [(name, level, "Success") for name, level in RISKS]
    )
    if ci is not None:
        source, target = CI_SNIPPETS[ci]
        wanted[target] = (data_dir("examples") / source).read_text(encoding="utf-8")
    return wanted


def scaffold(folder: Path, ci: str | None = None) -> list[Written]:
    """Write the starting files under ``folder``; an existing file is skipped, never replaced."""
    written = []
    for relative, text in files(ci).items():
        path = folder / relative
        if path.exists() or path.is_symlink():
            written.append(Written(path, created=False))
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, text.encode("utf-8"))
        except OSError as exc:  # `gate` is a file, a read-only folder, a full disk
            raise ConfigError(
                f"{path}: cannot write it: {exc.strerror or exc} (nothing after it was written)"
            ) from None
        written.append(Written(path, created=True))
    return written
