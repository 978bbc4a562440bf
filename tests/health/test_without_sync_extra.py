"""A kiosk without the sync extra (no pydantic, no requests) still reads its whole kiosk.toml and
runs `kiosk doctor --config`: the kiosk imports the sync package only in its composition root,
for `kiosk sync`. Run in a fresh interpreter where the extra cannot be imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.health.conftest import make_pi

# The extra's libraries refuse to load, as on a kiosk installed without it; then the app's
# settings are read and the appliance checked, and what was loaded is reported.
PROGRAM = """
import importlib.abc, json, sys

class WithoutTheSyncExtra(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("pydantic", "requests"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, WithoutTheSyncExtra())
from kiosk.cli import main
from kiosk.config import load

config, root = sys.argv[1], sys.argv[2]
load(None)
load(__import__("pathlib").Path(config))
status = main(["doctor", "--config", config, "--root", root, "--lang", "en", "--json"])
loaded = sorted(m for m in sys.modules if m.partition(".")[0] in ("sync", "pydantic"))
print(json.dumps({"status": status, "loaded": loaded}))
"""


def test_doctor_and_the_settings_file_need_no_sync_extra(tmp_path: Path) -> None:
    pi = make_pi(tmp_path / "pi")
    pi.set_config('server = "https://library.school.example:8443"', 'server = ""')
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(pi.config), str(pi.root)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    *checks, last = done.stdout.splitlines()
    results = [json.loads(line) for line in checks]
    assert {"config", "database", "journal", "server"} <= {r["check"] for r in results}
    assert next(r for r in results if r["check"] == "config")["ok"] is True
    assert json.loads(last)["loaded"] == []
