"""Exception hierarchy: every failure a user can cause is a ``PainterlyError``.

The CLI turns these into one ``painterly: error: …`` line and exit code 2; the service
will turn them into 4xx answers. Anything else that escapes is a bug.
"""

from __future__ import annotations

__all__ = [
    "ArgumentError",
    "DeviceError",
    "ImageError",
    "OutputError",
    "PainterlyError",
    "VideoError",
    "WeightsError",
]


class PainterlyError(Exception):
    """Base class of every error caused by input rather than by a bug."""


class ImageError(PainterlyError):
    """An image could not be read, or is unsuitable (too small, too large, corrupt).

    ``too_large`` marks the refusals of size limits (the service answers them with 413).
    """

    def __init__(self, message: str, *, path: str | None = None, too_large: bool = False) -> None:
        super().__init__(message)
        self.path = path
        self.too_large = too_large


class VideoError(ImageError):
    """A video could not be read or written: unreadable, no frames, too long or large, an unusable stream."""


class ArgumentError(PainterlyError, ValueError):
    """A setting is out of range, of the wrong kind, or names something unknown."""

    def __init__(self, message: str, *, name: str | None = None) -> None:
        super().__init__(message)
        self.name = name


class WeightsError(PainterlyError):
    """A weight file is missing, corrupt, of the wrong shape, or fails its hash check."""


class DeviceError(PainterlyError):
    """A requested device does not exist or cannot allocate memory."""


class OutputError(PainterlyError):
    """The result cannot be written where the user asked (exists, unwritable, bad extension)."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path
