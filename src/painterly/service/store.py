"""Jobs in SQLite: the queue survives restarts and crashes.

SQLite in WAL mode is the embedded default: one file, no server, safe across threads with
one connection guarded by a lock (the service writes a few rows a second at most). Each job
also has a folder holding its inputs, previews and result, named by its unguessable id.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = ["TERMINAL_STATES", "Job", "JobKind", "JobState", "JobStore"]

JobState = Literal["queued", "running", "done", "failed", "cancelled"]
JobKind = Literal["image", "video"]
TERMINAL_STATES: tuple[JobState, ...] = ("done", "failed", "cancelled")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    method TEXT NOT NULL,
    settings TEXT NOT NULL,
    style_weights TEXT,
    style_count INTEGER NOT NULL,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    progress REAL NOT NULL DEFAULT 0,
    stage TEXT NOT NULL DEFAULT '',
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    notes TEXT NOT NULL DEFAULT '[]',
    kind TEXT NOT NULL DEFAULT 'image'
);
CREATE INDEX IF NOT EXISTS jobs_state_created ON jobs (state, created);
"""


@dataclass(frozen=True)
class Job:
    """One row: what was asked, and how far it has got."""

    id: str
    state: JobState
    method: str
    settings: dict[str, Any]
    style_weights: list[float] | None
    style_count: int
    created: float
    started: float | None
    finished: float | None
    progress: float
    stage: str
    error: str | None
    attempts: int
    notes: list[str]  # what the client should know about how the job ran (e.g. the result was enlarged)
    kind: JobKind = "image"  # a photo in, an image out; or a video in, an mp4 out

    def public(self) -> dict[str, Any]:
        """The JSON the API returns (no file paths)."""
        data = asdict(self)
        data.pop("attempts")
        return data


class JobStore:
    """Thread-safe job table plus per-job folders."""

    def __init__(self, database: Path, jobs_dir: Path) -> None:
        database.parent.mkdir(parents=True, exist_ok=True)
        jobs_dir.mkdir(parents=True, exist_ok=True)
        self.jobs_dir = jobs_dir
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        self._connection.row_factory = sqlite3.Row
        with self._cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.executescript(_SCHEMA)
            columns = {row["name"] for row in cursor.execute("PRAGMA table_info(jobs)").fetchall()}
            if "notes" not in columns:  # a database from before notes existed
                cursor.execute("ALTER TABLE jobs ADD COLUMN notes TEXT NOT NULL DEFAULT '[]'")
            if "kind" not in columns:  # … or before video jobs
                cursor.execute("ALTER TABLE jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'image'")

    @contextmanager
    def _cursor(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cursor = self._connection.cursor()
            try:
                yield cursor
            finally:
                cursor.close()

    def folder(self, job_id: str) -> Path:
        return self.jobs_dir / job_id

    def new_folder(self) -> tuple[str, Path]:
        """A fresh job id and its empty folder, for the inputs to be written before the job exists.

        No worker can see the job until ``enqueue``; a crash in between leaves only a folder
        without a row, which ``remove_orphans`` deletes at the next start.
        """
        job_id = uuid.uuid4().hex
        folder = self.folder(job_id)
        folder.mkdir(parents=True)
        return job_id, folder

    def enqueue(
        self,
        job_id: str,
        method: str,
        settings: dict[str, Any],
        style_weights: list[float] | None,
        styles: int,
        notes: list[str] | None = None,
        kind: JobKind = "image",
    ) -> Job:
        """Insert a job whose inputs are already on disk, as queued; returns it."""
        with self._cursor() as cursor:
            cursor.execute(
                "INSERT INTO jobs (id, state, method, settings, style_weights, style_count, created, notes, kind) "
                "VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?)",
                (job_id, method, json.dumps(settings), json.dumps(style_weights), styles, time.time(),
                 json.dumps(notes or []), kind),
            )  # fmt: skip
        job = self.get(job_id)
        assert job is not None  # just inserted under the lock
        return job

    def remove_orphans(self) -> int:
        """Delete job folders that have no row (a submission interrupted by a crash); returns how many."""
        with self._cursor() as cursor:
            known = {row["id"] for row in cursor.execute("SELECT id FROM jobs").fetchall()}
        orphans = [path for path in self.jobs_dir.iterdir() if path.is_dir() and path.name not in known]
        for path in orphans:
            shutil.rmtree(path, ignore_errors=True)
        return len(orphans)

    def get(self, job_id: str) -> Job | None:
        with self._cursor() as cursor:
            row = cursor.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def count_active(self) -> int:
        with self._cursor() as cursor:
            return int(cursor.execute("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')").fetchone()[0])

    def claim_next(self) -> Job | None:
        """Atomically move the oldest queued job to running and return it."""
        with self._cursor() as cursor:
            row = cursor.execute("SELECT id FROM jobs WHERE state = 'queued' ORDER BY created LIMIT 1").fetchone()
            if row is None:
                return None
            cursor.execute(
                "UPDATE jobs SET state = 'running', started = ?, attempts = attempts + 1, stage = 'starting' "
                "WHERE id = ? AND state = 'queued'",
                (time.time(), row["id"]),
            )
            claimed = cursor.rowcount == 1
        return self.get(row["id"]) if claimed else None

    def update_progress(self, job_id: str, progress: float, stage: str) -> None:
        with self._cursor() as cursor:
            cursor.execute("UPDATE jobs SET progress = ?, stage = ? WHERE id = ? AND state = 'running'",
                           (progress, stage, job_id))  # fmt: skip

    def finish(self, job_id: str, state: JobState, error: str | None = None) -> None:
        with self._cursor() as cursor:
            cursor.execute(
                "UPDATE jobs SET state = ?, error = ?, finished = ?, progress = CASE WHEN ? = 'done' THEN 1 "
                "ELSE progress END WHERE id = ? AND state IN ('queued', 'running')",
                (state, error, time.time(), state, job_id),
            )

    def requeue(self, job_id: str) -> None:
        """Put a job interrupted by a clean shutdown back in the queue without counting an attempt."""
        with self._cursor() as cursor:
            cursor.execute("UPDATE jobs SET state = 'queued', progress = 0, stage = 'requeued after shutdown', "
                           "attempts = attempts - 1 WHERE id = ? AND state = 'running'", (job_id,))  # fmt: skip

    def recover(self, max_attempts: int) -> tuple[int, int]:
        """After a restart: requeue jobs that were running, or fail those interrupted too often.

        Returns:
            (requeued, failed) counts.
        """
        with self._cursor() as cursor:
            failed = cursor.execute(
                "UPDATE jobs SET state = 'failed', finished = ?, error = ? WHERE state = 'running' AND attempts >= ?",
                (time.time(), f"interrupted by a server stop {max_attempts} times; not retried again", max_attempts),
            ).rowcount
            requeued = cursor.execute(
                "UPDATE jobs SET state = 'queued', progress = 0, stage = 'requeued after restart' "
                "WHERE state = 'running'"
            ).rowcount
        return requeued, failed

    def expired(self, older_than: float) -> list[str]:
        """Ids of finished jobs that finished before ``older_than`` (a timestamp)."""
        with self._cursor() as cursor:
            rows = cursor.execute(
                "SELECT id FROM jobs WHERE state IN ('done', 'failed', 'cancelled') AND finished < ?", (older_than,)
            ).fetchall()
        return [row["id"] for row in rows]

    def delete(self, job_id: str) -> None:
        with self._cursor() as cursor:
            cursor.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
        shutil.rmtree(self.folder(job_id), ignore_errors=True)

    def page(
        self,
        *,
        limit: int,
        offset: int = 0,
        state: str | None = None,
        method: str | None = None,
        kind: str | None = None,
    ) -> tuple[list[Job], int]:
        """Jobs newest first, filtered by state, method and kind where given: one page and the total count."""
        conditions, values = [], []
        for column, value in (("state", state), ("method", method), ("kind", kind)):
            if value is not None:
                conditions.append(f"{column} = ?")
                values.append(value)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""  # fixed column names; values are bound
        with self._cursor() as cursor:
            total = int(cursor.execute(f"SELECT COUNT(*) FROM jobs {where}", values).fetchone()[0])
            rows = cursor.execute(f"SELECT * FROM jobs {where} ORDER BY created DESC, id LIMIT ? OFFSET ?",
                                  [*values, limit, offset]).fetchall()  # fmt: skip
        return [_job(row) for row in rows], total

    def list_states(self) -> dict[str, int]:
        with self._cursor() as cursor:
            rows = cursor.execute("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state").fetchall()
        return {row["state"]: int(row["n"]) for row in rows}

    def close(self) -> None:
        with self._lock:
            self._connection.close()


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"], state=row["state"], method=row["method"], settings=json.loads(row["settings"]),
        style_weights=json.loads(row["style_weights"]) if row["style_weights"] else None,
        style_count=row["style_count"], created=row["created"], started=row["started"], finished=row["finished"],
        progress=row["progress"], stage=row["stage"], error=row["error"], attempts=row["attempts"],
        notes=json.loads(row["notes"]), kind=row["kind"],
    )  # fmt: skip
