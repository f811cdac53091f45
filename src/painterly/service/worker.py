"""The worker pool: runs queued jobs through the methods' ``Stylizer`` interface, like the CLI.

Bounded concurrency (``workers`` threads), progress written to the store a few times a
second, previews written beside the job, cancellation and the per-job time limit checked
between steps through the progress callback. On start it recovers what a crash left running
and removes half-submitted jobs; a sweeper thread deletes expired results on time, even
with no workers.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from ..errors import PainterlyError
from ..image_io import open_image, save_image
from ..loading import load
from ..progress import Cancelled, ProgressEvent
from .config import ServiceConfig
from .store import Job, JobStore
from .uploads import VIDEO_STEM, find_input

__all__ = ["PREVIEW_NAME", "RESULT_NAME", "VIDEO_RESULT_NAME", "WorkerPool", "style_stem"]

logger = logging.getLogger(__name__)

PHOTO_STEM, RESULT_NAME, PREVIEW_NAME = "photo", "result.png", "preview.jpg"
VIDEO_RESULT_NAME = "result.mp4"
_PROGRESS_INTERVAL = 0.25  # seconds between progress writes


class _ShuttingDown(Exception):  # noqa: N818 (control flow, not an error)
    """The server is stopping: leave the job to be run again, not failed or cancelled."""


class _TimedOut(Exception):  # noqa: N818 (control flow, not an error)
    """The job ran longer than ``job_timeout_seconds``."""


def style_stem(index: int) -> str:
    return f"style_{index}"


class WorkerPool:
    """``config.workers`` threads taking jobs from the store, oldest first."""

    def __init__(self, store: JobStore, config: ServiceConfig) -> None:
        self.store, self.config = store, config
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._cancelled: set[str] = set()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        requeued, failed = self.store.recover(self.config.max_attempts)
        if requeued or failed:
            logger.warning("after restart: %d job(s) requeued, %d marked failed", requeued, failed)
        orphans = self.store.remove_orphans()
        if orphans:
            logger.warning("after restart: removed %d half-submitted job folder(s)", orphans)
        self.sweep()
        targets = [(self._sweep_loop, "painterly-sweeper")]
        targets += [(self._work, f"painterly-worker-{number}") for number in range(self.config.workers)]
        for target, name in targets:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)

    def notify(self) -> None:
        """A job was queued: wake an idle worker."""
        self._wake.set()

    def cancel(self, job_id: str) -> None:
        """Ask a running job to stop at its next step (queued jobs are cancelled in the store)."""
        self._cancelled.add(job_id)

    def sweep(self) -> None:
        """Delete finished jobs older than the configured age."""
        if self.config.result_ttl_hours <= 0:
            return
        for job_id in self.store.expired(time.time() - self.config.result_ttl_hours * 3600):
            self.store.delete(job_id)

    def _sweep_loop(self) -> None:
        while not self._stop.wait(self.config.sweep_seconds):
            try:
                self.sweep()
            except Exception:  # a failed sweep is retried next time; it must not end the thread
                logger.exception("expiry sweep failed")

    def _work(self) -> None:
        while not self._stop.is_set():
            job = self.store.claim_next()
            if job is None:
                self._wake.wait(timeout=0.5)
                self._wake.clear()
                continue
            self._run(job)

    def _run(self, job: Job) -> None:
        folder = self.store.folder(job.id)
        try:
            result = self._stylize(job, folder)
            if result is not None:  # a video job wrote its own result
                save_image(result, folder / RESULT_NAME, force=True)
            self.store.finish(job.id, "done")
        except _ShuttingDown:
            self.store.requeue(job.id)
        except Cancelled:
            self.store.finish(job.id, "cancelled", "cancelled by request")
        except _TimedOut:
            limit = self.config.job_timeout_seconds
            self.store.finish(job.id, "failed", f"stopped after the time limit of {limit:g} s; try a smaller size")
        except PainterlyError as error:
            # Messages may name files; clients see the job's own names, never the server's folders.
            self.store.finish(job.id, "failed", str(error).replace(f"{folder}/", "").replace(str(folder), "job"))
        except Exception as error:  # a bug must fail one job, not kill the worker
            logger.exception("job %s failed", job.id)
            self.store.finish(job.id, "failed", f"internal error: {type(error).__name__}: {error}")
        finally:
            self._cancelled.discard(job.id)

    def _stylize(self, job: Job, folder: Path):  # type: ignore[no-untyped-def]
        # Loaded once per process and load spec: jobs that use the same model share it.
        stylizer = load(job.method, device=self.config.device, **job.settings)
        styles = [open_image(find_input(folder, style_stem(i)), label="style image") for i in range(job.style_count)]
        last_write, started, limit = 0.0, time.monotonic(), self.config.job_timeout_seconds

        def report(event: ProgressEvent) -> None:
            nonlocal last_write
            if self._stop.is_set():
                raise _ShuttingDown
            if job.id in self._cancelled:
                raise Cancelled
            if limit and time.monotonic() - started > limit:
                raise _TimedOut
            if event.preview is not None:
                save_image(event.preview.convert("RGB"), folder / PREVIEW_NAME, force=True, jpeg_quality=85)
            if time.monotonic() - last_write > _PROGRESS_INTERVAL or event.fraction >= 1.0:
                self.store.update_progress(job.id, event.fraction, event.stage)
                last_write = time.monotonic()

        if job.kind == "video":
            from ..video.pipeline import stylize_video

            # resume: a job requeued after a crash or a restart continues at its first unfinished segment.
            stylize_video(stylizer, find_input(folder, VIDEO_STEM), folder / VIDEO_RESULT_NAME, styles,
                          style_weights=job.style_weights, resume=True, force=True, callback=report)  # fmt: skip
            return None
        photo = open_image(find_input(folder, PHOTO_STEM), label="photo")
        return stylizer.stylize(photo, styles, style_weights=job.style_weights, callback=report)
