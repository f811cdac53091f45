"""End to end in a real headless Chromium: upload, pick a fast setting, wait, see the image."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from images import make_photo, make_stripes
from service_helpers import free_port, start_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The flags this workplace's probe uses: no sandbox as root, and no background network chatter.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip


# Chromium's built-in test camera (a moving pattern with a frame counter), granted without a prompt.
FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@contextmanager
def _open_page(tmp_path: Path, viewport: dict[str, int], extra_args: tuple[str, ...] = ()) -> Iterator[Any]:
    """A running service and a headless Chromium page on it (skips where playwright or chromium is absent)."""
    playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make test installs it where it can)")
    port = free_port()
    server = start_server(tmp_path / "service", port)
    try:
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args],
                                                 headless=True)  # fmt: skip
            page = browser.new_page(viewport=viewport)
            page.goto(f"http://127.0.0.1:{port}/")
            yield page
            browser.close()
    finally:
        server.kill()
        server.wait(10)


def _fill_draft_job(page: Any, tmp_path: Path, size: int) -> None:
    """A small photo and painting in the form, optimize's draft preset at ``size`` px."""
    make_photo(96, 72).save(tmp_path / "photo.png")
    make_stripes(96, 96).save(tmp_path / "style.png")
    page.wait_for_selector("#method option[value=optimize]", state="attached")
    page.set_input_files("#photo", str(tmp_path / "photo.png"))
    page.set_input_files("#styles", str(tmp_path / "style.png"))
    page.select_option("select[name=quality]", "draft")
    page.eval_on_selector("input[name=size]", f"el => {{ el.value = {size}; el.dispatchEvent(new Event('input')); }}")


@pytest.mark.browser
def test_upload_and_see_result(tmp_path: Path) -> None:
    with _open_page(tmp_path, {"width": 390, "height": 844}) as page:  # a phone-width screen
        _fill_draft_job(page, tmp_path, 64)
        page.keyboard.press("Tab")
        page.click("#submit")
        page.wait_for_selector("#gallery img.result", timeout=120_000)
        page.wait_for_function("document.querySelector('#gallery img.result').naturalWidth > 0", timeout=30_000)
        width = page.eval_on_selector("#gallery img.result", "img => img.naturalWidth")
        assert width == 64
        assert "done" in page.inner_text("#stage")
        page.screenshot(path=str(tmp_path / "page.png"), full_page=True)


@pytest.mark.browser
def test_pick_a_bundled_model_from_its_preview(tmp_path: Path) -> None:
    """The gallery shows each bundled model's own rendering of the sample photo; clicking one runs it."""
    make_photo(96, 72).save(tmp_path / "photo.png")
    with _open_page(tmp_path, {"width": 1280, "height": 900}) as page:
        page.wait_for_selector("#model-gallery button.model img", state="attached")
        loaded = "[...document.querySelectorAll('#model-gallery img')].every(i => i.naturalWidth > 0)"
        page.wait_for_function(loaded)  # previews are data URIs from the model files
        page.set_input_files("#photo", str(tmp_path / "photo.png"))
        page.click("#model-gallery button.model >> nth=0")
        assert page.eval_on_selector("#method", "el => el.value") == "feedforward"
        page.click("#submit")
        page.wait_for_selector("#gallery img.result", timeout=60_000)
        page.wait_for_function("document.querySelector('#gallery img.result').naturalWidth > 0", timeout=30_000)
        size = page.eval_on_selector("input[name=size]", "el => Number(el.value)")  # the size slider's value
        assert page.eval_on_selector("#gallery img.result", "img => img.naturalWidth") == size
        page.screenshot(path=str(tmp_path / "gallery.png"), full_page=True)


@pytest.mark.slow
@pytest.mark.browser
def test_real_photos_through_the_page(tmp_path: Path, shared_data: Path) -> None:
    """Three 7–9 MP camera photos with two paintings each, submitted from the page: every result arrives."""
    photos = sorted((shared_data / "photos" / "highres").glob("*.jpg"), key=lambda p: -p.stat().st_size)[:3]
    styles = [str(shared_data / "classic" / name) for name in ("starry_night.jpg", "the_scream.jpg")]
    with _open_page(tmp_path, {"width": 1280, "height": 900}) as page:
        page.wait_for_selector("#method option[value=optimize]", state="attached")
        page.select_option("select[name=quality]", "draft")
        page.eval_on_selector("input[name=size]", "el => { el.value = 64; el.dispatchEvent(new Event('input')); }")
        for count, photo in enumerate(photos, start=1):
            page.set_input_files("#photo", str(photo))
            page.set_input_files("#styles", styles)
            page.click("#submit")
            page.wait_for_function(f"document.querySelectorAll('#gallery img.result').length === {count}",
                                   timeout=180_000)  # fmt: skip
            assert "done" in page.inner_text("#stage"), page.inner_text("#stage")


@pytest.mark.browser
def test_refine_a_one_pass_result(tmp_path: Path) -> None:
    """An adain result offers "Refine"; clicking it runs the same job with a few Gatys steps and adds the result."""
    make_photo(96, 72).save(tmp_path / "photo.png")
    make_stripes(96, 96).save(tmp_path / "style.png")
    with _open_page(tmp_path, {"width": 1280, "height": 900}) as page:
        page.wait_for_selector("#method option[value=adain]", state="attached")
        page.select_option("#method", "adain")
        page.eval_on_selector("input[name=size]", "el => { el.value = 64; el.dispatchEvent(new Event('input')); }")
        page.set_input_files("#photo", str(tmp_path / "photo.png"))
        page.set_input_files("#styles", str(tmp_path / "style.png"))
        page.click("#submit")
        page.wait_for_selector("#gallery button.refine", timeout=60_000)
        page.click("#gallery button.refine")
        page.wait_for_function("document.querySelectorAll('#gallery img.result').length === 2", timeout=120_000)
        assert page.locator("#gallery button.refine").count() == 1  # a refined result offers no second refine


@pytest.mark.browser
def test_live_camera_shows_stylized_frames(tmp_path: Path) -> None:
    """Camera mode with Chromium's fake camera: frames go out over the WebSocket and come back stylized."""
    with _open_page(tmp_path, {"width": 1280, "height": 900}, tuple(FAKE_CAMERA)) as page:
        page.wait_for_selector("#live-model option[value=cliff_walk]", state="attached")
        page.select_option("#live-model", "cliff_walk")
        page.click("#live-start")
        page.wait_for_function("window.liveFrames >= 5", timeout=60_000)
        assert page.eval_on_selector("#live-output", "img => img.naturalWidth") == 640
        assert "frames/s" in page.inner_text("#live-status")
        page.click("#live-stop")
        assert page.eval_on_selector("#live-start", "el => el.hidden") is False


@pytest.mark.browser
def test_upload_a_video_and_play_the_result(tmp_path: Path) -> None:
    """A clip dropped in the photo box runs as a video job; the result plays in the page."""
    from clips import make_clip

    clip = make_clip(tmp_path / "clip.mp4", frames=12)
    with _open_page(tmp_path, {"width": 1280, "height": 900}) as page:
        page.wait_for_selector("#model-gallery button.model img", state="attached")
        page.set_input_files("#photo", str(clip))
        assert page.eval_on_selector("#video-preview", "el => el.hidden") is False
        page.click("#model-gallery button.model >> nth=0")
        page.eval_on_selector("input[name=size]", "el => { el.value = 64; el.dispatchEvent(new Event('input')); }")
        page.click("#submit")
        page.wait_for_selector("#gallery video.result", timeout=120_000)
        page.wait_for_function("document.querySelector('#gallery video.result').readyState >= 1", timeout=30_000)
        assert page.eval_on_selector("#gallery video.result", "v => v.videoWidth") == 64
        assert page.get_attribute("#gallery a", "download").endswith(".mp4")


@pytest.mark.browser
def test_api_docs_render_with_the_network_blocked(tmp_path: Path) -> None:
    """Swagger UI draws the API from files this server serves: no name but loopback resolves here."""
    offline = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",)
    with _open_page(tmp_path, {"width": 1280, "height": 800}, offline) as page:
        own = page.url.rstrip("/")
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(own + "/docs")
        page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
        assert "painterly" in page.inner_text(".swagger-ui .info .title")
        page.wait_for_selector(".opblock-summary-path", timeout=10_000)  # the operations are listed
        assert "/api/jobs" in page.inner_text("#swagger-ui")
        elsewhere = [url for url in requested if not url.startswith((own + "/", "data:"))]
        assert elsewhere == []  # everything it drew came from this server
        page.screenshot(path=str(tmp_path / "docs.png"))


@pytest.mark.browser
def test_history_survives_a_reload_and_gives_its_settings_back(tmp_path: Path) -> None:
    with _open_page(tmp_path, {"width": 390, "height": 844}) as page:
        _fill_draft_job(page, tmp_path, 96)
        page.click("#submit")
        page.wait_for_selector("#gallery img.result", timeout=120_000)
        # On a phone the result is far below the button: the page has scrolled to it, and nothing is wider.
        page.wait_for_function("window.scrollY > 300", timeout=10_000)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        guide = page.locator("#method-guide li").all_text_contents()  # each method in one line: speed, match, use
        assert len(guide) >= 4 and all(" s" in line for line in guide), guide
        page.reload()
        page.wait_for_selector("#gallery img.result", timeout=30_000)  # from GET /api/jobs
        assert page.locator("#gallery li").count() == 1
        assert '"size":96' in (page.text_content("#gallery code.settings") or "").replace(" ", "")
        page.eval_on_selector("input[name=size]", "el => { el.value = 320; el.dispatchEvent(new Event('input')); }")
        # Full view: the result over its photo; the slider moves the line, 1:1 shows every pixel.
        page.click("#gallery button.compare")
        page.wait_for_function("document.getElementById('viewer-photo').naturalWidth === 96", timeout=10_000)
        page.eval_on_selector("#viewer-split", "el => { el.value = 20; el.dispatchEvent(new Event('input')); }")
        assert page.eval_on_selector("#viewer-photo", "img => img.style.clipPath") == "inset(0px 80% 0px 0px)"
        page.click("#viewer-zoom")
        assert page.eval_on_selector("#viewer-result", "img => img.getBoundingClientRect().width === img.naturalWidth")
        page.keyboard.press("Escape")
        assert page.eval_on_selector("#viewer", "el => el.hidden")
        page.click("#gallery button.again")
        assert page.eval_on_selector("input[name=size]", "el => el.value") == "96"
        assert page.eval_on_selector("select[name=quality]", "el => el.value") == "draft"
        page.click("#gallery button.delete")
        page.wait_for_function("document.querySelectorAll('#gallery li').length === 0", timeout=10_000)
        page.reload()
        page.wait_for_selector("#method option[value=optimize]", state="attached")
        page.wait_for_timeout(1000)
        assert page.locator("#gallery li").count() == 0  # deleted on the server too


@pytest.mark.browser
def test_compare_and_delete_by_keyboard(tmp_path: Path) -> None:
    """The full view opens, moves and closes without a mouse; focus goes where the keys are needed."""
    with _open_page(tmp_path, {"width": 1280, "height": 800}) as page:
        _fill_draft_job(page, tmp_path, 64)
        page.focus("#submit")
        page.keyboard.press("Enter")
        page.wait_for_selector("#gallery img.result", timeout=120_000)
        page.focus("#gallery button.compare")
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "viewer-split"  # the slider has the focus
        before = page.eval_on_selector("#viewer-photo", "img => img.style.clipPath")
        for _ in range(5):
            page.keyboard.press("ArrowLeft")
        assert page.eval_on_selector("#viewer-photo", "img => img.style.clipPath") != before
        page.keyboard.press("Escape")
        assert page.eval_on_selector("#viewer", "el => el.hidden")
        page.focus("#gallery button.delete")
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelectorAll('#gallery li').length === 0", timeout=10_000)
