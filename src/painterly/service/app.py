"""FastAPI app: the REST API under /api and the page at /.

Every method runs through ``methods/`` exactly as from the CLI; request settings are checked
against the same settings dataclass fields (``job_request.py``). Errors are JSON
``{"detail": …}`` with the right status: 403 refused host, origin or token (``guard.py``),
413 too large (bytes, pixels, video length), 415 not an image or video, 422 bad setting (the
field named), 429 queue full, 404 unknown job, 409 result not ready, 410 result file gone.

The submit route is a plain ``def``: FastAPI runs it in a worker thread, so reading,
decoding and storing multi-megapixel uploads never stall the event loop that answers
everyone else. A job's inputs are on disk before its row exists, so no worker can claim
a job whose files are still being written.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, File, Form, HTTPException, Query, Request, UploadFile, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles

from .. import __version__
from .._settings import SettingField, setting_fields
from ..devices import make_device
from ..errors import ArgumentError, ImageError, PainterlyError, VideoError
from ..methods.base import Stylizer, get_method, list_methods
from .config import ServiceConfig
from .guard import RequestGuard
from .job_request import largest_size, parse_settings, parse_style_weights, settle_size
from .live import serve_live
from .store import TERMINAL_STATES, Job, JobKind, JobState, JobStore
from .uploads import Upload, find_input, read_upload, store_upload, store_video_upload
from .worker import PHOTO_STEM, PREVIEW_NAME, RESULT_NAME, VIDEO_RESULT_NAME, WorkerPool, style_stem

__all__ = ["create_app"]

logger = logging.getLogger(__name__)
_STATIC = Path(str(importlib.resources.files("painterly") / "service" / "static"))


def create_app(config: ServiceConfig | None = None) -> FastAPI:
    """The app; its lifespan opens the store and runs the worker pool."""
    config = config or ServiceConfig()

    make_device(config.device)  # a device this machine lacks is a one-line error at start, not a failed job

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

    app = FastAPI(title="painterly", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.config = config
    _error_handlers(app)
    _routes(app, config)
    _api_docs(app)
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")
    app.add_middleware(RequestGuard, config=config)
    return app


def _api_docs(app: FastAPI) -> None:
    """Swagger UI at /docs and ReDoc at /redoc from files this server serves (the fastapi-offline package ships
    them; we use its files only), so the API docs work without a network: FastAPI's default pages load them
    from a CDN and stay blank offline."""
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html

    assets = str(importlib.resources.files("fastapi_offline") / "static")
    app.mount("/docs/assets", StaticFiles(directory=assets), name="docs-assets")
    schema = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=schema, title="painterly API",
                                   swagger_js_url="/docs/assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs/assets/swagger-ui.css",
                                   swagger_favicon_url="/static/favicon.svg")  # fmt: skip

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=schema, title="painterly API",
                              redoc_js_url="/docs/assets/redoc.standalone.js", redoc_favicon_url="/static/favicon.svg",
                              with_google_fonts=False)  # fmt: skip


_EXAMPLE_JOB: dict[str, Any] = {
    "id": "3f2c9a1e0b7d4c5f8e6a2b1c0d9e8f7a", "state": "done", "method": "feedforward",
    "settings": {"model": "starry_night", "size": 512, "strength": 1.0}, "style_weights": None, "style_count": 0,
    "created": 1795680000.0, "started": 1795680000.2, "finished": 1795680000.9, "progress": 1.0, "stage": "done",
    "error": None, "notes": [], "kind": "image",
}  # fmt: skip


def _example(value: Any) -> dict[str, Any]:
    """An OpenAPI ``responses`` entry with a JSON example (shown by /docs and /redoc)."""
    return {"content": {"application/json": {"example": value}}}


def _error_handlers(app: FastAPI) -> None:
    """Every error is JSON with a ``detail`` in API terms (and the ``field`` where one is to blame)."""

    @app.exception_handler(PainterlyError)
    async def painterly_error(request: Request, error: PainterlyError) -> JSONResponse:
        name = getattr(error, "name", None)
        return JSONResponse(status_code=_status(error), content={"detail": str(error), **({"field": name} if name
                                                                                          else {})})  # fmt: skip

    @app.exception_handler(RequestValidationError)
    async def form_error(request: Request, error: RequestValidationError) -> JSONResponse:
        problem = error.errors()[0] if error.errors() else {}
        field = str((problem.get("loc") or ("request",))[-1])
        detail = f"{field}: {str(problem.get('msg', 'invalid')).lower()}"
        return JSONResponse(status_code=422, content={"detail": detail, "field": field})

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> JSONResponse:
        logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
        return JSONResponse(status_code=500, content={"detail": "internal error; the server log has the details"})


def _status(error: PainterlyError) -> int:
    if isinstance(error, ImageError):
        return 413 if error.too_large else 415
    return 422


def _routes(app: FastAPI, config: ServiceConfig) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        """The web page (not part of the API)."""
        return HTMLResponse((_STATIC / "index.html").read_text())

    @app.get("/api/models")
    async def models() -> dict[str, Any]:
        """The methods with their settings (defaults, ranges, choices), and the trained models by painting."""
        from ..models import list_models

        methods = {}
        for name in list_methods():
            method = get_method(name)
            methods[name] = {"summary": method.summary, "needs_style_images": method.needs_style_images,
                             "settings": [_field_json(f) for f in setting_fields(method.Settings)],
                             "max_size": largest_size(method, config)}  # fmt: skip
        trained = [{"name": m.name, "origin": m.origin, "kind": m.metadata.get("kind"), "styles": m.styles,
                    "paintings": m.paintings, "previews": m.metadata.get("previews", [])}
                   for m in list_models()]  # fmt: skip
        return {"methods": methods, "models": trained, "limits": {"max_size": config.max_size}}

    @app.post(
        "/api/jobs",
        status_code=201,
        responses={
            201: _example(
                _EXAMPLE_JOB
                | {"state": "queued", "progress": 0.0, "stage": "queued", "started": None, "finished": None}
            )
        },
    )
    def submit(
        request: Request,
        photo: UploadFile | None = File(None, description="the photo (or send a video instead)"),
        video: UploadFile | None = File(
            None,
            description="a clip (mp4, mov, webm, mkv, gif) instead of a photo: "
            "the result is an mp4 with the clip's audio",
        ),
        styles: list[UploadFile] = File(default=[], description="style images (none for trained models)"),
        method: str = Form("optimize"),
        settings: str = Form("{}", description="JSON object of the method's settings"),
        style_weights: str = Form("", description="comma-separated weights, one per style"),
    ) -> dict[str, Any]:
        """Submit a job: a photo (or a clip) and style images, or a trained model in `settings`; returns it queued."""
        if photo is None and video is None:
            raise ArgumentError("photo: field required (or send a video)", name="photo")
        if photo is not None and video is not None:
            raise ArgumentError("send a photo or a video, not both", name="photo")
        store: JobStore = request.app.state.store
        if store.count_active() >= config.max_queued:
            raise HTTPException(429, f"the queue is full ({config.max_queued} jobs); try again later")
        method_class = get_method(method)
        if method_class.needs_style_images and not 1 <= len(styles) <= config.max_styles:
            raise ArgumentError(f"give 1 to {config.max_styles} style images", name="styles")
        if styles and not method_class.needs_style_images:
            raise ArgumentError(f"method {method} uses its model's styles; send no style images", name="styles")
        values = parse_settings(method_class, settings, config)
        weights = parse_style_weights(style_weights, len(styles)) if styles else None
        style_uploads = [_check_upload(upload, "style image", config) for upload in styles]
        if video is not None:
            job = _enqueue_video(store, video, style_uploads, method_class, values, weights, config)
        else:
            assert photo is not None
            uploads = [_check_upload(photo, "photo", config), *style_uploads]
            values, notes = settle_size(method_class, values, uploads[0].size, config)
            job = _enqueue(store, uploads, method, values, weights, notes)
        request.app.state.pool.notify()
        return job.public()

    @app.websocket("/api/live")
    async def live(websocket: WebSocket) -> None:
        """Live camera: JSON ``{"model", "size"}`` first, then JPEG frames in, stylized JPEG frames out."""
        await serve_live(websocket, config)

    _job_routes(app)


def _job_routes(app: FastAPI) -> None:
    @app.get("/api/jobs", responses={200: _example({"jobs": [_EXAMPLE_JOB], "total": 1, "limit": 20, "offset": 0})})
    async def history(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=100, description="jobs per page")] = 20,
        offset: Annotated[int, Query(ge=0, description="jobs to skip (newest first)")] = 0,
        state: Annotated[JobState | None, Query(description="only jobs in this state")] = None,
        method: Annotated[str | None, Query(description="only jobs of this method")] = None,
        kind: Annotated[JobKind | None, Query(description="image or video")] = None,
    ) -> dict[str, Any]:
        """The jobs this server holds, newest first, a page at a time (the page's history after a reload)."""
        jobs, total = request.app.state.store.page(limit=limit, offset=offset, state=state, method=method, kind=kind)
        return {"jobs": [job.public() for job in jobs], "total": total, "limit": limit, "offset": offset}

    @app.get("/api/jobs/{job_id}", responses={200: _example(_EXAMPLE_JOB)})
    async def status(request: Request, job_id: str) -> dict[str, Any]:
        """One job: its state (queued, running, done, failed, cancelled), progress, stage, settings and notes."""
        return _job_or_404(request, job_id).public()

    @app.get("/api/jobs/{job_id}/result")
    async def result(request: Request, job_id: str) -> FileResponse:
        """The result: a PNG (an MP4 for a video job); 409 until the job is done."""
        job = _job_or_404(request, job_id)
        if job.state != "done":
            raise HTTPException(409, f"job is {job.state}; the result exists once it is done")
        name, media_type = (VIDEO_RESULT_NAME, "video/mp4") if job.kind == "video" else (RESULT_NAME, "image/png")
        path = request.app.state.store.folder(job_id) / name
        if not path.is_file():
            raise HTTPException(410, "the result file is gone (removed outside the service); submit the job again")
        return FileResponse(path, media_type=media_type, filename=f"painterly-{job_id[:8]}{path.suffix}")

    @app.get("/api/jobs/{job_id}/photo")
    async def photo(request: Request, job_id: str) -> FileResponse:
        """The photo as it was sent (for a before/after comparison); 404 for a video job."""
        job = _job_or_404(request, job_id)
        if job.kind != "image":
            raise HTTPException(404, "a video job has no photo; its clip is not served back")
        try:
            path = find_input(request.app.state.store.folder(job_id), PHOTO_STEM)
        except ImageError:
            raise HTTPException(410, "the photo is gone (removed outside the service)") from None
        return FileResponse(path, headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/api/jobs/{job_id}/preview")
    async def preview(request: Request, job_id: str) -> FileResponse:
        """The latest intermediate image of a running optimization (JPEG), when it has one."""
        _job_or_404(request, job_id)
        path = request.app.state.store.folder(job_id) / PREVIEW_NAME
        if not path.exists():
            raise HTTPException(404, "no preview yet")
        return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    @app.get("/api/jobs/{job_id}/events")
    async def events(request: Request, job_id: str) -> StreamingResponse:
        """Server-sent events: the job as JSON on every change, until it ends."""
        _job_or_404(request, job_id)
        return StreamingResponse(_event_stream(request, job_id), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})  # fmt: skip

    @app.delete("/api/jobs/{job_id}")
    async def cancel(request: Request, job_id: str) -> dict[str, Any]:
        """Cancel a queued or running job; delete a finished one with its files."""
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


def _field_json(field: SettingField) -> dict[str, Any]:
    default: Any = field.default if isinstance(field.default, (int, float, str, bool, type(None))) else None
    if isinstance(field.default, tuple):
        default = list(field.default)
    return {"name": field.name, "type": field.kind.__name__, "list": field.is_list, "choices": field.choices,
            "default": default, "help": field.help, "role": field.role, "stage": field.stage}  # fmt: skip


def _check_upload(upload: UploadFile, label: str, config: ServiceConfig) -> Upload:
    return read_upload(upload.file, label=label, max_bytes=config.max_upload_bytes, max_pixels=config.max_pixels)


def _enqueue(store: JobStore, uploads: list[Upload], method: str, values: dict[str, Any],
             weights: list[float] | None, notes: list[str]) -> Job:  # fmt: skip
    """Write every input, then insert the job: a worker never sees a job without its files."""
    with _job_folder(store) as (job_id, folder):
        stems = [PHOTO_STEM, *(style_stem(index) for index in range(len(uploads) - 1))]
        for upload, stem in zip(uploads, stems):
            store_upload(upload, folder, stem)
        return store.enqueue(job_id, method, values, weights, len(uploads) - 1, notes)


@contextmanager
def _job_folder(store: JobStore) -> Iterator[tuple[str, Path]]:
    """A new job's folder for its inputs, deleted again if anything fails before the job is queued."""
    job_id, folder = store.new_folder()
    try:
        yield job_id, folder
    except OSError as error:
        store.delete(job_id)
        raise HTTPException(507, f"the server could not store the upload: {error.strerror or error}") from None
    except BaseException:
        store.delete(job_id)
        raise


def _enqueue_video(store: JobStore, video: UploadFile, styles: list[Upload], method: type[Stylizer],
                   values: dict[str, Any], weights: list[float] | None, config: ServiceConfig) -> Job:  # fmt: skip
    """Store the clip (in chunks), check it and its limits, store the styles, then insert the job."""
    from ..video.media import probe

    with _job_folder(store) as (job_id, folder):
        path = store_video_upload(video.file, folder, filename=video.filename or "", max_bytes=config.max_video_bytes)
        try:
            info = probe(path)
        except VideoError as error:  # the message names the stored file; the client knows it by its own name
            raise VideoError(str(error).replace(str(path), video.filename or "the video"),
                             too_large=error.too_large) from None  # fmt: skip
        if info.duration > config.max_video_seconds:
            raise VideoError(f"the video is {info.duration:.1f} s long; this server takes up to "
                             f"{config.max_video_seconds:g} s", too_large=True)  # fmt: skip
        values, notes = settle_size(method, values, (info.width, info.height), config, bound=config.max_video_size)
        for index, upload in enumerate(styles):
            store_upload(upload, folder, style_stem(index))
        return store.enqueue(job_id, method.name, values, weights, len(styles), notes, kind="video")


def _job_or_404(request: Request, job_id: str) -> Job:
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
