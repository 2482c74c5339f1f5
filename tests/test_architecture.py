"""The core/web boundary stays true: checked by import-linter on every test run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_core_imports_no_django_or_other_layers() -> None:
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(lint).exists():
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    result = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


def _interfaces_check(imports: list[tuple[str, str]], **options: object) -> object:
    """Run the app_interfaces contract (tools/import_contracts.py) on a small import graph."""
    grimp = pytest.importorskip("grimp")
    pytest.importorskip("importlinter")
    sys.path.insert(0, str(ROOT))
    from tools.import_contracts import AppInterfacesContract

    graph = grimp.ImportGraph()
    for name in ("p", "p.web", "p.web.a", "p.web.b", "p.web.b.services", "p.web.b.services.engine",
                 "p.web.b.selectors", "p.web.b.polling", "p.web.a.views", "p.web.api", "p.workers"):  # fmt: skip
        graph.add_module(name)
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported, line_number=3, line_contents=f"import {imported}")
    contract = AppInterfacesContract(
        name="apps",
        session_options={"root_packages": ["p"]},
        contract_options={"apps": ["p.web.*"], "interfaces": ["services", "selectors"], **options},
    )
    return contract.check(graph, verbose=False)


def test_an_app_may_use_another_through_its_interface_modules_only() -> None:
    ok = _interfaces_check([("p.web.a.views", "p.web.b.services.engine"), ("p.web.a.views", "p.web.b.selectors")])
    assert ok.kept  # type: ignore[attr-defined]
    broken = _interfaces_check([("p.web.a.views", "p.web.b.polling"), ("p.web.api", "p.web.b.polling")])
    assert not broken.kept  # type: ignore[attr-defined]
    # web/api.py is no app and not listed as an importer: only the app's import is reported.
    assert [(b["importer"], b["imported"]) for b in broken.metadata["broken"]] == [("p.web.a.views", "p.web.b.polling")]  # type: ignore[attr-defined]
    workers = _interfaces_check([("p.workers", "p.web.b.polling")], importers=["p.workers"])
    assert not workers.kept  # type: ignore[attr-defined]
    ignored = _interfaces_check(
        [("p.web.a.views", "p.web.b.polling")], ignore_imports=["p.web.a.views -> p.web.b.polling"]
    )
    assert ignored.kept  # type: ignore[attr-defined]
