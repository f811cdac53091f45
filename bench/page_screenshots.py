"""Screenshots of the web page in its main states, at a desktop (1280×800) and a phone (390×844) size.

A real server and headless Chromium: the page as it opens, a finished result in the gallery, the full
view comparing it with its photo, and the API docs. The photo is scikit-image's ``astronaut`` (shipped
by that dependency); the style is the bundled `starry_night` model, so nothing from elsewhere lands in
the images.

Run: ``.venv/bin/python bench/page_screenshots.py``; writes docs/images/page-*.jpg.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from service_helpers import free_port, start_server

REPO = Path(__file__).resolve().parents[1]
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def main() -> int:
    from playwright.sync_api import sync_playwright
    from skimage import data as skimage_data

    work = Path(tempfile.mkdtemp(prefix="painterly-shots-"))
    Image.fromarray(skimage_data.astronaut()).save(work / "astronaut.jpg", quality=90)
    port = free_port()
    server = start_server(work / "service", port)
    target = REPO / "docs" / "images"
    target.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                                 args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
            for label, viewport in SIZES.items():
                page = browser.new_page(viewport=viewport)
                page.goto(f"http://127.0.0.1:{port}/")
                page.wait_for_selector("button.model")
                _save(page.screenshot(), target / f"page-{label}-start.jpg")
                page.set_input_files("#photo", str(work / "astronaut.jpg"))
                page.click("button.model:has-text('The Starry Night')")
                page.eval_on_selector(
                    "input[name=size]", "el => { el.value = 512; el.dispatchEvent(new Event('input')); }"
                )
                page.click("#submit")
                page.wait_for_selector("#gallery li:first-child img.result", timeout=120_000)
                page.wait_for_timeout(800)  # the smooth scroll to the result
                _save(page.screenshot(), target / f"page-{label}-result.jpg")
                page.click("#gallery li:first-child button.compare")
                page.wait_for_function("document.getElementById('viewer-photo').naturalWidth > 0")
                page.eval_on_selector("#viewer-split", "el => { el.value = 40; el.dispatchEvent(new Event('input')); }")
                _save(page.screenshot(), target / f"page-{label}-compare.jpg")
                page.goto(f"http://127.0.0.1:{port}/docs")
                page.wait_for_selector(".opblock-summary-path")
                _save(page.screenshot(), target / f"page-{label}-api-docs.jpg")
                page.close()
            browser.close()
    finally:
        server.kill()
        server.wait(10)
    print(f"screenshots in {target}")
    return 0


def _save(png: bytes, path: Path) -> None:
    Image.open(io.BytesIO(png)).convert("RGB").save(path, quality=80)


if __name__ == "__main__":
    sys.exit(main())
