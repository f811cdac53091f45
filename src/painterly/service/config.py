"""Service settings: where jobs live and how much one client may ask for."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArgumentError
from ..weights import painterly_home

__all__ = ["ServiceConfig"]


def _default_data_dir() -> str:
    return os.fspath(painterly_home() / "service")


@dataclass(frozen=True)
class ServiceConfig:
    """Settings of ``painterly serve``; every limit is a knob."""

    data_dir: str = ""  # folder for the SQLite database and job files ("": PAINTERLY_HOME/service)
    database: str = ""  # SQLite path ("": data_dir/jobs.sqlite3)
    workers: int = 1  # jobs run at once; each uses all CPU threads, so 1 suits a laptop (0: accept only)
    max_upload_bytes: int = 25 * 1024 * 1024  # per uploaded file (413 above)
    max_pixels: int = 40_000_000  # per uploaded image (413 above)
    max_styles: int = 8  # style images per job
    max_queued: int = 100  # queued + running jobs before new ones get 429
    result_ttl_hours: float = 24.0  # finished jobs are deleted after this long (0: keep)
    max_attempts: int = 2  # a job interrupted by a crash more often than this is marked failed

    def __post_init__(self) -> None:
        for name in ("workers", "max_upload_bytes", "max_pixels", "max_styles", "max_queued", "max_attempts"):
            minimum = 0 if name == "workers" else 1
            if getattr(self, name) < minimum:
                raise ArgumentError(f"{name} must be ≥ {minimum}, got {getattr(self, name)}", name=name)

    @property
    def root(self) -> Path:
        return Path(self.data_dir or _default_data_dir())

    @property
    def database_path(self) -> Path:
        return Path(self.database) if self.database else self.root / "jobs.sqlite3"

    @property
    def jobs_dir(self) -> Path:
        return self.root / "jobs"
