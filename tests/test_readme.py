"""The README's examples work as written, at small sizes: every ``sh`` command and ``python`` block.

Each command runs in a fresh folder holding small stand-ins for the files the README names
(``photo.jpg``, ``painting.jpg``, ``clip.mp4``, …); sizes are shrunk to 64 px and ``NAME`` is a
bundled model, so the whole README runs in a couple of minutes. ``make`` targets run what
``make -n`` says they run (the fast and slow suites and lint are CI's own commands, so for those
and ``bench`` the test checks that the target exists and names files that exist).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from clips import make_clip
from PIL import Image

pytestmark = pytest.mark.slow  # the real VGG19 at 64 px, about twenty processes

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```", re.DOTALL | re.MULTILINE)
SMALL = 64
MODEL = "classics"  # what NAME stands for: a bundled model with several styles, so --blend works
BIN = Path(sys.executable).parent
CI_TARGETS = {"test", "test-slow", "lint", "bench"}  # CI runs the first three itself; bench takes an hour


def _commands() -> list[tuple[str, str]]:
    """(kind, code): each command line of the sh blocks (comments dropped), each python block whole."""
    examples = []
    for kind, code in BLOCK.findall(README.read_text()):
        if kind == "python":
            examples.append((kind, code))
            continue
        for line in code.replace("\\\n", " ").splitlines():
            command = line.split(" #")[0].strip()
            if command:
                examples.append((kind, command))
    return examples


EXAMPLES = _commands()


def _small(command: str) -> str:
    """The command at 64 px: ``--size N`` shrunk; one-pass and optimize runs without a size get one
    (a feed-forward run without one keeps the stand-in photo's own small size, as the README says)."""
    command = re.sub(r"--size \d+", f"--size {SMALL}", command).replace("NAME", MODEL)
    words = shlex.split(command)
    runs_images = words[0] == "painterly" and words[1] in ("stylize", "video", "batch") and "--help" not in words
    if runs_images and "--size" not in words and "feedforward" not in words:
        command += f" --size {SMALL}"
    return command


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small versions of every file the README's examples name."""
    pytest.importorskip("skimage", reason="the sample photo comes from scikit-image (the demo extra)")
    from painterly.samples import sample_photo, sample_style

    folder = tmp_path_factory.mktemp("stand_ins")
    photo = sample_photo().resize((160, 160))
    photo.save(folder / "photo.jpg")
    photo.resize((400, 300)).save(folder / "phone_12mp.jpg")
    for seed, name in enumerate(("painting", "monet", "hokusai", "a", "b")):
        sample_style(128, seed=seed + 3).save(folder / f"{name}.jpg")
    mask = Image.new("L", (160, 160), 0)
    mask.paste(255, (80, 0, 160, 160))
    mask.save(folder / "person_mask.png")
    (folder / "photos").mkdir()
    for index in range(2):
        photo.rotate(90 * index).save(folder / "photos" / f"p{index}.jpg")
    make_clip(folder / "clip.mp4", frames=12)
    make_clip(folder / "clip.mov", frames=12)
    return folder


def _environment(home: Path) -> dict[str, str]:
    return {**os.environ, "HOME": str(home), "PAINTERLY_HOME": str(home / ".painterly"),
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}  # fmt: skip


def _output(command: str) -> str | None:
    words = shlex.split(command)
    for flag in ("-o", "--output-dir"):
        if flag in words:
            return words[words.index(flag) + 1]
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serves(command: str, folder: Path) -> None:
    """Start the server the command starts (on a free port), wait until its API answers, stop it."""
    port = _free_port()
    command = re.sub(r"--port \d+", "", command) + f" --port {port}"
    server = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=folder, env=_environment(folder),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"{command} exited: {server.stderr.read()[-2000:]}"  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/models", timeout=5) as answer:
                    assert b"feedforward" in answer.read()
                    return
            except OSError:
                assert time.monotonic() < deadline, f"{command} did not answer within 60 s"
                time.sleep(0.5)
    finally:
        server.terminate()
        server.communicate(timeout=30)


def _make(target: str) -> str:
    """What ``make TARGET`` runs (its last command), with the venv's programs by absolute path."""
    outside = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}  # make test-slow
    dry = subprocess.run(["make", "-n", "--no-print-directory", target], cwd=ROOT, capture_output=True, text=True,
                         env=outside)  # fmt: skip
    assert dry.returncode == 0, f"make {target}: {dry.stderr}"
    for script in re.findall(r"bench/\w+\.py", dry.stdout):
        assert (ROOT / script).is_file(), f"make {target} runs {script}, which is missing"
    return dry.stdout.strip().splitlines()[-1].replace(".venv/bin/", f"{BIN}/")


def test_examples_found() -> None:
    kinds = [kind for kind, _ in EXAMPLES]
    assert kinds.count("sh") >= 20 and kinds.count("python") >= 1
    assert EXAMPLES[0] == ("sh", "make demo") and EXAMPLES[1] == ("sh", "make test")  # the newcomer's two commands


@pytest.mark.parametrize(("kind", "code"), EXAMPLES, ids=[f"{k}{i}" for i, (k, _) in enumerate(EXAMPLES)])
def test_example_runs(kind: str, code: str, stand_ins: Path, tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    folder = tmp_path / "work"
    shutil.copytree(stand_ins, folder)
    if kind == "python":
        monkeypatch.chdir(folder)
        small = re.sub(r"size=\d+", f"size={SMALL}", code)
        exec(compile(small, "README python block", "exec"), {})  # our own README's example
        assert (folder / "out.png").is_file() and (folder / "styled-a.jpg").is_file()
        return
    if code.startswith("make "):
        target = code.split()[1]
        if target in CI_TARGETS:
            _make(target)
            return
        code = _make(target)
    if shlex.split(code)[1:2] == ["serve"]:
        _serves(code, folder)
        return
    command = _small(code)
    if "--resume" in command:  # the README's "after Ctrl-C": resume the same run, here after it finished
        first = _small(command.replace(" --resume", ""))
        assert subprocess.run(["bash", "-c", first], cwd=folder, env=_environment(folder)).returncode == 0
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=folder, env=_environment(folder),
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    assert run.returncode == 0, f"{command}\n{run.stderr[-2000:]}"
    output = _output(command)
    if output is None:
        assert run.stdout.strip(), f"{command} printed nothing"
        return
    made = folder / output
    assert made.exists(), f"{command} made no {output}"
    if made.is_dir():
        assert any(made.iterdir()), f"{command} left {output} empty"
    elif made.suffix in (".png", ".jpg"):  # at the small size, or the photo's own where the README keeps it
        with Image.open(made) as image, Image.open(folder / shlex.split(command)[2]) as photo:
            assert max(image.size) == (SMALL if f"--size {SMALL}" in command else max(photo.size)), command
