"""Property-based tests (Hypothesis): whatever a client sends, the answer is a job or a 4xx, never a 500,
a traceback or a stray file; whatever bytes arrive, decoding gives an image or an ``ImageError``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from images import make_photo
from service_helpers import png_bytes

from painterly._settings import setting_fields
from painterly.errors import ArgumentError, ImageError
from painterly.image_io import open_image
from painterly.methods.base import get_method, list_methods
from painterly.service.app import create_app
from painterly.service.config import ServiceConfig
from painterly.service.job_request import parse_settings

JSON_SCALARS = (
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=True) | st.text(max_size=12)
)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=5), inner, max_size=3), max_leaves=6)  # fmt: skip
FIELD_NAMES = sorted({field.name for method in list_methods() for field in setting_fields(get_method(method).Settings)})
SETTINGS = st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), JSON_VALUES, max_size=4)
PHOTO = png_bytes(make_photo())
QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@QUICK
@given(method=st.sampled_from(list_methods()), raw=SETTINGS)
def test_settings_parser_gives_values_or_a_named_error(method: str, raw: dict[str, Any]) -> None:
    try:
        values = parse_settings(get_method(method), json.dumps(raw), ServiceConfig())
    except ArgumentError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert set(values) >= set(raw)


@QUICK
@given(
    data=st.binary(max_size=300) | st.just(PHOTO[:60]) | st.builds(lambda cut: PHOTO[:cut], st.integers(0, len(PHOTO)))
)
def test_decoding_gives_an_image_or_an_image_error(data: bytes) -> None:
    try:
        image = open_image(data)
    except ImageError:
        return
    assert image.mode == "RGB" and min(image.size) >= 16


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("service")
    config = ServiceConfig(data_dir=str(root), workers=0, max_queued=10_000)
    with TestClient(create_app(config), base_url="http://127.0.0.1:8000") as test_client:
        yield test_client


PHOTOS = st.sampled_from([PHOTO, PHOTO[:100], b"", b"GIF89a", png_bytes(make_photo(16, 16))]) | st.binary(max_size=64)
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    photo=PHOTOS,
    style_count=st.integers(0, 2),
    method=st.sampled_from([*list_methods(), "nope", ""]),
    raw_settings=st.one_of(SETTINGS.map(json.dumps), st.text(max_size=20)),
    weights=st.one_of(st.just(""), st.text(max_size=8)),
    content_type=st.sampled_from(["image/png", "text/plain", "application/octet-stream"]) | HEADER_TEXT,
    filename=HEADER_TEXT,
)
def test_submit_answers_a_job_or_a_4xx(
    client: TestClient,
    photo: bytes,
    style_count: int,
    method: str,
    raw_settings: str,
    weights: str,
    content_type: str,
    filename: str,
) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    folders_before = len(list(store.jobs_dir.iterdir()))
    files = [("photo", (filename or "p", photo, content_type))]
    files += [("styles", (f"s{i}.png", PHOTO, "image/png")) for i in range(style_count)]
    response = client.post("/api/jobs", files=files,
                           data={"method": method, "settings": raw_settings, "style_weights": weights})  # fmt: skip
    assert response.status_code == 201 or 400 <= response.status_code < 500, response.text
    body = response.json()
    folders_after = len(list(store.jobs_dir.iterdir()))
    if response.status_code == 201:
        assert folders_after == folders_before + 1
        assert (Path(store.folder(body["id"])) / "photo.png").exists()
    else:
        assert isinstance(body["detail"], str) and body["detail"]
        assert folders_after == folders_before  # a refused request leaves nothing behind
