"""The import contracts in pyproject.toml cover every module, a new one too.

Most contracts name every package of ours as their source and let the one allowed importer by, so
a new module is covered without editing them. The core's purity is the one that must list what
it may not import (import-linter forbids no ancestor of the source): this test fails when a new
part of the kiosk is not on that list.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE_CONTRACT = "The core is pure: no storage, UI, scanner or network code"


def _contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}


def _kiosk_parts() -> set[str]:
    """Every module and package directly under kiosk/, as import names."""
    parts = set()
    for path in (ROOT / "kiosk").iterdir():
        if path.name.startswith(("_", ".")):
            continue
        if path.suffix == ".py":
            parts.add(f"kiosk.{path.stem}")
        elif (path / "__init__.py").is_file():
            parts.add(f"kiosk.{path.name}")
    return parts


def test_the_core_may_import_no_other_part_of_the_kiosk() -> None:
    forbidden = set(_contracts()[CORE_CONTRACT]["forbidden_modules"])  # type: ignore[call-overload]
    missing = _kiosk_parts() - {"kiosk.core"} - forbidden
    assert not missing, f"add to the core's contract in pyproject.toml: {sorted(missing)}"


def test_the_library_contracts_name_every_package_of_ours_as_source() -> None:
    for name, contract in _contracts().items():
        if name.startswith("Only ") and contract["type"] == "forbidden":
            assert contract["source_modules"] == ["kiosk", "hardware", "sync"], name
            assert contract.get("ignore_imports"), f"{name}: which module is let by?"
