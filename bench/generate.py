"""Generate a ListAddonPrecheckTasks response with N tasks of about six risks each.

Real enum values, one add-on instance per task (so every task is judged), and a small share of
failed risks, like a large fleet where most checks pass.

    python bench/generate.py 100000 bench/out/tasks-100000.json
"""

from __future__ import annotations

import json
import random
import sys

ADDONS = ["coredns", "everest", "npd", "autoscaler", "metrics-server", "cie-collector"]
EXTRA_RISKS = ["HelmTemplateCheck", "NodeResourceCheck", "ConfigCompatibility", "ImagePullCheck"]


def risk(rng: random.Random, name: str, level: str) -> dict[str, str]:
    roll = rng.random()
    status = "Failed" if roll < 0.03 else "Success"
    message = "addon status(abnormal) is not running" if status == "Failed" else ""
    return {"riskName": name, "level": level, "status": status, "message": message}


def task(rng: random.Random, index: int) -> dict[str, object]:
    addon = ADDONS[index % len(ADDONS)]
    risks = [risk(rng, "AddonStatus", "Warning"), risk(rng, "AddonValidate", "Fatal")]
    risks += [risk(rng, name, rng.choice(["Warning", "Warning", "Fatal"])) for name in EXTRA_RISKS]
    failed = any(r["status"] == "Failed" for r in risks)
    return {
        "metadata": {
            "type": "addonUpgrade",
            "taskID": f"{index:08x}-553b-11e9-926f-0255ac101a31",
            "addonTemplateName": addon,
            "addonInstanceName": f"cceaddon-{addon}-{index}",
            "addonInstanceID": f"{index:08x}-4b50-4723-b05b-2121f47cb219",
            "createTimeStamp": "2025-08-05T17:10:44.648388+08:00",
            "expireTimeStamp": "2025-08-06T17:10:44.648388+08:00",
        },
        "spec": {"addonTargetVersion": "1.30.33"},
        "status": {
            "status": "Failed" if failed else "Success",
            "message": "Addon task check finish",
            "riskList": risks,
        },
    }


def main() -> None:
    count, path = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(count)
    items = [task(rng, i) for i in range(count)]
    document = {
        "kind": "AddonCheck",
        "apiVersion": "v3",
        "pageInfo": {"currentCount": count},
        "items": items,
    }
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, separators=(",", ":"))


if __name__ == "__main__":
    main()
