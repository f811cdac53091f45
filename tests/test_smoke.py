"""Every module imports, and the public surface matches the committed list."""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

import pytest

import painterly

MODULES = sorted(info.name for info in pkgutil.walk_packages(painterly.__path__, "painterly."))
SURFACE = Path(__file__).parent / "assets" / "api_surface.json"


@pytest.mark.parametrize("module", MODULES)
def test_module_imports(module: str) -> None:
    if module == "painterly.__main__":
        pytest.skip("runs the CLI on import")
    importlib.import_module(module)


def test_public_surface_is_deliberate() -> None:
    # Changing the public names is a decision: update tests/assets/api_surface.json with it.
    assert sorted(painterly.__all__) == json.loads(SURFACE.read_text())
    assert all(hasattr(painterly, name) for name in painterly.__all__)


def test_python_dash_m(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "painterly", "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.strip() == f"painterly {painterly.__version__}"
