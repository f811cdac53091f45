"""FastAPI app: the REST API under /api and the page at /.

Every method runs through ``methods/`` exactly as from the CLI; request settings are checked
against the same settings dataclass fields. Errors are JSON ``{"detail": …}`` with the right
status: 413 too large, 415 not an image, 422 bad setting (the field named), 429 queue full,
404 unknown job, 409 result not ready.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles

from .. import __version__
from .._settings import build_settings, parse_value, setting_fields
from ..errors import ArgumentError, ImageError, PainterlyError
from ..image_io import open_image, save_image
from ..losses.modules import normalize_weights
from ..methods.base import get_method, list_methods
from .config import ServiceConfig
from .store import TERMINAL_STATES, JobStore
from .worker import PHOTO_NAME, PREVIEW_NAME, RESULT_NAME, WorkerPool, style_name

__all__ = ["create_app"]

logger = logging.getLogger(__name__)
_PREVIEW_EVERY = 10  # steps between previews when a client does not choose
_STATIC = Path(str(importlib.resources.files("painterly") / "service" / "static"))


def create_app(config: ServiceConfig | None = None) -> FastAPI:
    """The app; its lifespan opens the store and runs the worker pool."""
    config = config or ServiceConfig()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = JobStore(config.database_path, config.jobs_dir)
        app.state.pool = WorkerPool(app.state.store, config)
        app.state.pool.start()
        try:
            yield
        finally:
            app.state.pool.stop()
            app.state.store.close()

    app = FastAPI(title="painterly", version=__version__, lifespan=lifespan)
    app.state.config = config

    @app.exception_handler(PainterlyError)
    async def painterly_error(request: Request, error: PainterlyError) -> JSONResponse:
        return JSONResponse(status_code=_status(error), content={"detail": str(error), **_field(error)})

    _routes(app, config)
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")
    return app


def _status(error: PainterlyError) -> int:
    if isinstance(error, ImageError):
        return 413 if "limit" in str(error) or "too large" in str(error) else 415
    return 422


def _field(error: PainterlyError) -> dict[str, Any]:
    name = getattr(error, "name", None)
    return {"field": name} if name else {}


async def _read_upload(upload: UploadFile, config: ServiceConfig, label: str) -> bytes:
    data = await upload.read(config.max_upload_bytes + 1)
    if len(data) > config.max_upload_bytes:
        raise HTTPException(413, f"{label} is larger than {config.max_upload_bytes:,} bytes")
    return data


def _parse_settings(method: str, text: str) -> dict[str, Any]:
    """Form JSON → validated settings values, by the method's own dataclass fields."""
    try:
        raw = json.loads(text or "{}")
    except json.JSONDecodeError as error:
        raise ArgumentError(f"settings must be a JSON object: {error.msg}", name="settings") from None
    if not isinstance(raw, dict):
        raise ArgumentError("settings must be a JSON object", name="settings")
    stylizer_class = get_method(method)
    fields = {field.name: field for field in setting_fields(stylizer_class.Settings)}
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in fields:
            raise ArgumentError(f"unknown setting {name!r} for method {method}", name=name)
        _refuse_server_paths(name, value)
        text_value = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        values[name] = parse_value(fields[name], text_value)
    if "save_every" in fields and "save_every" not in values:
        values["save_every"] = _PREVIEW_EVERY  # the page shows intermediate results of long methods
    build_settings(stylizer_class.Settings, values)  # full validation, raises ArgumentError with the field
    return values


_SAFE_VALUES = {"init": {"content", "random"}, "decoder": {"bundled"}, "weights": {"vgg19.caffe_q8"}, "mask": set()}


def _refuse_server_paths(name: str, value: Any) -> None:
    """Settings that name files may only name things the server offers, never paths on its disk."""
    if name == "model":
        from ..models import list_models

        if value not in {model.name for model in list_models()}:
            raise ArgumentError(f"unknown model {value!r}; GET /api/models lists them", name=name)
    elif name in _SAFE_VALUES and value is not None and value not in _SAFE_VALUES[name]:
        raise ArgumentError(f"{name}: server-side file paths are not accepted", name=name)


def _routes(app: FastAPI, config: ServiceConfig) -> None:
    @app.get("/", response_class=HTMLResponse)
    async def page() -> HTMLResponse:
        return HTMLResponse((_STATIC / "index.html").read_text())

    @app.get("/api/models")
    async def models() -> dict[str, Any]:
        from ..models import list_models

        methods = {}
        for name in list_methods():
            method = get_method(name)
            methods[name] = {"summary": method.summary, "needs_style_images": method.needs_style_images,
                             "settings": [_field_json(f) for f in setting_fields(method.Settings)]}  # fmt: skip
        trained = [{"name": m.name, "origin": m.origin, "kind": m.metadata.get("kind"), "styles": m.styles,
                    "previews": m.metadata.get("previews", [])} for m in list_models()]  # fmt: skip
        return {"methods": methods, "models": trained}

    @app.post("/api/jobs", status_code=201)
    async def submit(
        request: Request,
        photo: UploadFile = File(..., description="the photo"),
        styles: list[UploadFile] = File(default=[], description="style images (none for trained models)"),
        method: str = Form("optimize"),
        settings: str = Form("{}", description="JSON object of the method's settings"),
        style_weights: str = Form("", description="comma-separated weights, one per style"),
    ) -> dict[str, Any]:
        store: JobStore = request.app.state.store
        if store.count_active() >= config.max_queued:
            raise HTTPException(429, f"the queue is full ({config.max_queued} jobs); try again later")
        needs_styles = get_method(method).needs_style_images
        if needs_styles and not 1 <= len(styles) <= config.max_styles:
            raise ArgumentError(f"give 1 to {config.max_styles} style images", name="styles")
        if styles and not needs_styles:
            raise ArgumentError(f"method {method} uses its model's styles; send no style images", name="styles")
        values = _parse_settings(method, settings)
        weights = _parse_weights(style_weights, len(styles)) if styles else None
        images = [open_image(await _read_upload(photo, config, "photo"), max_pixels=config.max_pixels, label="photo")]
        for upload in styles:
            data = await _read_upload(upload, config, "style image")
            images.append(open_image(data, max_pixels=config.max_pixels, label="style image"))
        job_id = store.create(method, values, weights, len(styles))
        folder = store.folder(job_id)
        for image, name in zip(images, [PHOTO_NAME, *(style_name(i) for i in range(len(styles)))]):
            save_image(image, folder / name, force=True)
        request.app.state.pool.notify()
        return store.get(job_id).public()  # type: ignore[union-attr]

    @app.get("/api/jobs/{job_id}")
    async def status(request: Request, job_id: str) -> dict[str, Any]:
        return _job_or_404(request, job_id).public()

    @app.get("/api/jobs/{job_id}/result")
    async def result(request: Request, job_id: str) -> FileResponse:
        job = _job_or_404(request, job_id)
        if job.state != "done":
            raise HTTPException(409, f"job is {job.state}; the result exists once it is done")
        path = request.app.state.store.folder(job_id) / RESULT_NAME
        return FileResponse(path, media_type="image/png", filename=f"painterly-{job_id[:8]}.png")

    @app.get("/api/jobs/{job_id}/preview")
    async def preview(request: Request, job_id: str) -> FileResponse:
        _job_or_404(request, job_id)
        path = request.app.state.store.folder(job_id) / PREVIEW_NAME
        if not path.exists():
            raise HTTPException(404, "no preview yet")
        return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    @app.get("/api/jobs/{job_id}/events")
    async def events(request: Request, job_id: str) -> StreamingResponse:
        _job_or_404(request, job_id)
        return StreamingResponse(_event_stream(request, job_id), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})  # fmt: skip

    @app.delete("/api/jobs/{job_id}")
    async def cancel(request: Request, job_id: str) -> dict[str, Any]:
        job = _job_or_404(request, job_id)
        store: JobStore = request.app.state.store
        if job.state == "queued":
            store.finish(job_id, "cancelled", "cancelled by request")
        elif job.state == "running":
            request.app.state.pool.cancel(job_id)
        else:
            store.delete(job_id)  # a finished job: DELETE removes it and its files
            return {"id": job_id, "deleted": True}
        return _job_or_404(request, job_id).public()


def _field_json(field: Any) -> dict[str, Any]:
    default: Any = field.default if isinstance(field.default, (int, float, str, bool, type(None))) else None
    if isinstance(field.default, tuple):
        default = list(field.default)
    return {"name": field.name, "type": field.kind.__name__, "list": field.is_list, "choices": field.choices,
            "default": default, "help": field.help}  # fmt: skip


def _parse_weights(text: str, count: int) -> list[float] | None:
    if not text.strip():
        return None
    try:
        weights = [float(item) for item in text.split(",")]
    except ValueError:
        raise ArgumentError("style_weights must be comma-separated numbers", name="style_weights") from None
    try:
        normalize_weights(weights, count)
    except ArgumentError as error:
        raise ArgumentError(str(error), name="style_weights") from None
    return weights


def _job_or_404(request: Request, job_id: str):  # type: ignore[no-untyped-def]
    job = request.app.state.store.get(job_id) if job_id.isalnum() else None
    if job is None:
        raise HTTPException(404, "no such job")
    return job


async def _event_stream(request: Request, job_id: str) -> AsyncIterator[str]:
    """Server-sent events: the job's state whenever it changes, until it ends."""
    store: JobStore = request.app.state.store
    folder = store.folder(job_id)
    last: tuple[Any, ...] | None = None
    while not await request.is_disconnected():
        job = store.get(job_id)
        if job is None:
            yield "event: gone\ndata: {}\n\n"
            return
        preview = folder / PREVIEW_NAME
        preview_version = int(preview.stat().st_mtime_ns) if preview.exists() else 0
        current = (job.state, round(job.progress, 3), job.stage, preview_version)
        if current != last:
            yield f"data: {json.dumps({**job.public(), 'preview_version': preview_version})}\n\n"
            last = current
        if job.state in TERMINAL_STATES:
            return
        await asyncio.sleep(0.3)
