"""Live camera mode: frames per second the page shows, with Chromium's fake camera on loopback.

Starts ``painterly serve``, opens the page in headless Chromium with its built-in test camera
(``--use-fake-device-for-media-stream``), starts the camera mode with a feed-forward model at
640×360 and reads the page's own frames/s after a warm-up. Writes ``bench/results/live.md`` and a
screenshot ``live.png``.

    .venv/bin/python bench/live.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, RESULTS, machine_line, markdown_table, publish

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream"]  # fmt: skip
MODELS = ("hokusai_wave_stable", "cliff_walk")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="measuring time per model after warm-up [20]")
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port, data = free_port(), Path(tempfile.mkdtemp(prefix="painterly-live-"))
    server = subprocess.Popen([str(REPO / ".venv/bin/painterly"), "serve", "--port", str(port), "--data-dir",
                               str(data)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    rows = []
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/models", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/")
            for model in MODELS:
                page.wait_for_selector(f"#live-model option[value={model}]", state="attached")
                page.select_option("#live-model", model)
                page.click("#live-start")
                page.wait_for_function("window.liveFrames >= 10", timeout=60_000)  # warm-up
                start_frames, started = page.evaluate("window.liveFrames"), time.perf_counter()
                time.sleep(options.seconds)
                frames = page.evaluate("window.liveFrames") - start_frames
                fps = frames / (time.perf_counter() - started)
                size = page.eval_on_selector("#live-output", "img => `${img.naturalWidth}×${img.naturalHeight}`")
                shown = page.inner_text("#live-status")
                rows.append([model, size, f"{fps:.1f}", shown])
                print(rows[-1], flush=True)
                if model == MODELS[0]:
                    page.locator("#live-panel").screenshot(path=str(RESULTS / "live.png"))
                page.click("#live-stop")
                page.evaluate("window.liveFrames = 0")
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(data, ignore_errors=True)
    text = [f"# Live camera mode\n\n{machine_line()}\n",
            "Headless Chromium's fake camera → WebSocket `/api/live` on loopback → feed-forward model with the "
            "video pipeline's flow correction → JPEG back; one frame in flight. frames/s counted over "
            f"{options.seconds:g} s after 10 warm-up frames; the page's own readout in the last column.\n",
            markdown_table(["model", "frame size", "frames/s", "page shows"], rows),
            "\n![the camera panel](live.png)\n"]  # fmt: skip
    publish("live", "\n".join(text))


if __name__ == "__main__":
    main()
