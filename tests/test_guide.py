"""docs/guide.md works as written: its ``sh`` and ``python`` blocks run, in order, in a fresh folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from clips import make_clip
from PIL import Image

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guide.md"
BLOCK = re.compile(r"^```(sh|python|console)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def test_every_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("skimage", reason="the sample photo comes from scikit-image (the demo extra)")
    blocks = [(kind, code) for kind, code in BLOCK.findall(GUIDE.read_text()) if kind != "console"]
    assert len(blocks) >= 8
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "examples").mkdir()
    make_clip(tmp_path / "examples" / "clip.mp4", frames=48)  # what the guide calls "a clip the test makes"
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    namespace: dict[str, object] = {}
    for number, (kind, code) in enumerate(blocks, 1):
        if kind == "python":
            exec(compile(code, f"{GUIDE.name} block {number}", "exec"), namespace)  # our own guide's examples
            continue
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", code], capture_output=True, text=True,
                             env=environment, timeout=300)  # fmt: skip
        assert run.returncode == 0, f"block {number} failed:\n{code}\n{run.stderr[-2000:]}"
        if "0 done, 2 skipped" in code:
            assert "0 done, 2 skipped" in run.stdout  # the rerun skips, as the guide says
    for name in ("first.png", "mix.png", "fast.png", "refined.png", "starry.jpg", "from_python.png",
                 "scream_0.5.png", "mine.png"):  # fmt: skip
        with Image.open(tmp_path / "out" / name) as image:
            assert max(image.size) in (128, 256), name
    assert (tmp_path / "out" / "clip.mp4").stat().st_size > 1000
    assert len(list((tmp_path / "out" / "batch").glob("*.png"))) == 2
