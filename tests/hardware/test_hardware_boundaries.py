"""Package boundaries: no kiosk or sync in hardware; evdev and pyserial stay in their sources."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "hardware"
ONLY_IMPORTER = {
    "evdev": PACKAGE / "sources" / "evdev_device.py",
    "serial": PACKAGE / "sources" / "serial_port.py",
}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_hardware_imports_neither_kiosk_nor_sync():
    for path in PACKAGE.rglob("*.py"):
        assert not imported_roots(path) & {"kiosk", "sync"}, path


def test_driver_libraries_are_imported_only_by_their_source_module():
    for path in PACKAGE.rglob("*.py"):
        for library, owner in ONLY_IMPORTER.items():
            if library in imported_roots(path):
                assert path == owner, f"{path} imports {library}"


def test_driver_libraries_are_imported_lazily_inside_functions():
    for library, owner in ONLY_IMPORTER.items():
        tree = ast.parse(owner.read_text(encoding="utf-8"))
        top_level = {
            alias.name.split(".")[0]
            for node in tree.body
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert library not in top_level


WITHOUT_EXTRAS = """
import sys
sys.modules["evdev"] = None   # as if the scanners extra were not installed
sys.modules["serial"] = None
import hardware
from hardware import MissingExtra, open_scanner
scanner = open_scanner("fake:")
scanner.close()
for url in ("evdev:///dev/input/event0", "serial:///dev/ttyUSB0", "rdm6300:///dev/serial0"):
    try:
        open_scanner(url)
    except MissingExtra as exc:
        print(exc)
    else:
        raise SystemExit(url + " opened without its library")
"""


def test_hardware_imports_without_the_scanners_extra_and_names_it_when_needed():
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRAS],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert all("school-library-kiosk[scanners]" in line for line in lines)
    assert "'evdev'" in lines[0] and "'pyserial'" in lines[1]
