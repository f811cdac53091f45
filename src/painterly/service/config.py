"""Service settings: where jobs live, who may connect, and how much one client may ask for."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArgumentError
from ..weights import painterly_home

__all__ = ["TOKEN_VARIABLE", "ServiceConfig"]

TOKEN_VARIABLE = "PAINTERLY_TOKEN"  # the API token may come from the environment, to keep it out of `ps`


def _default_data_dir() -> str:
    return os.fspath(painterly_home() / "service")


@dataclass(frozen=True)
class ServiceConfig:
    """Settings of ``painterly serve``; every limit is a knob."""

    host: str = "127.0.0.1"  # address to listen on; beyond loopback, set --token too
    port: int = 8000  # TCP port
    data_dir: str = ""  # folder for the SQLite database and job files ("": PAINTERLY_HOME/service)
    database: str = ""  # SQLite path ("": data_dir/jobs.sqlite3)
    device: str = "cpu"  # torch device the jobs run on, e.g. cuda:0
    workers: int = 1  # jobs run at once; each uses all CPU threads, so 1 suits a laptop (0: accept only)
    max_upload_bytes: int = 25 * 1024 * 1024  # per uploaded file (413 above)
    max_request_bytes: int = 100 * 1024 * 1024  # whole request body, refused while it streams (413 above)
    max_pixels: int = 40_000_000  # per uploaded image (413 above)
    max_size: int = 4096  # largest result long side in px; larger photos run at this size unless told smaller
    max_styles: int = 8  # style images per job
    max_video_bytes: int = 100 * 1024 * 1024  # per uploaded video (413 above; also bounded by max_request_bytes)
    max_video_seconds: float = 60.0  # longest video accepted (413 above)
    max_video_size: int = 1280  # longest video frame side in px; larger videos run at this size
    max_live_size: int = 640  # longest side of live camera frames in px (the page's camera mode)
    max_queued: int = 100  # queued + running jobs before new ones get 429
    job_timeout_seconds: float = 3600.0  # a running job over this is stopped and failed (0: no limit)
    result_ttl_hours: float = 24.0  # finished jobs are deleted after this long (0: keep)
    sweep_seconds: float = 30.0  # how often expired jobs are looked for
    max_attempts: int = 2  # a job interrupted by a crash more often than this is marked failed
    allowed_hosts: tuple[str, ...] = ()  # extra Host names to answer to ("*": any); default: the bound address
    allowed_origins: tuple[str, ...] = ()  # other sites whose pages may submit jobs, e.g. https://app.example
    token: str = ""  # API token required in 'Authorization: Bearer …' ("": none; env PAINTERLY_TOKEN)

    def __post_init__(self) -> None:
        minimums = {"workers": 0, "max_upload_bytes": 1, "max_request_bytes": 1, "max_pixels": 1, "max_size": 16,
                    "max_styles": 1, "max_queued": 1, "max_attempts": 1, "port": 1, "max_video_bytes": 1,
                    "max_video_size": 16, "max_live_size": 16}  # fmt: skip
        for name, minimum in minimums.items():
            if getattr(self, name) < minimum:
                raise ArgumentError(f"{name} must be ≥ {minimum}, got {getattr(self, name)}", name=name)
        if self.port > 65535:
            raise ArgumentError(f"port must be within 1..65535, got {self.port}", name="port")
        if not 0 < self.max_video_seconds < float("inf"):
            raise ArgumentError(
                f"max_video_seconds must be > 0, got {self.max_video_seconds}", name="max_video_seconds"
            )
        for name in ("job_timeout_seconds", "result_ttl_hours"):
            if not 0 <= getattr(self, name) < float("inf"):
                raise ArgumentError(f"{name} must be a finite number ≥ 0, got {getattr(self, name)}", name=name)
        if not 0 < self.sweep_seconds < float("inf"):
            raise ArgumentError(f"sweep_seconds must be > 0, got {self.sweep_seconds}", name="sweep_seconds")
        if not self.token and os.environ.get(TOKEN_VARIABLE):
            object.__setattr__(self, "token", os.environ[TOKEN_VARIABLE])

    @property
    def root(self) -> Path:
        return Path(self.data_dir or _default_data_dir())

    @property
    def database_path(self) -> Path:
        return Path(self.database) if self.database else self.root / "jobs.sqlite3"

    @property
    def jobs_dir(self) -> Path:
        return self.root / "jobs"
