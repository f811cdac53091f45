"""Uploaded images: read within limits, checked by content, and stored exactly as received.

The check decodes the whole image (a truncated file fails here, not in a worker later),
but what is stored is the client's own bytes: re-encoding a 2 MB JPEG as PNG made it
12.8 MB on disk and cost a second of CPU per upload. All of this runs in a worker thread,
never on the event loop, so the server keeps answering while large photos arrive.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from fastapi import HTTPException
from PIL import Image

from .._atomic import atomic_path
from ..errors import ImageError
from ..image_io import image_format, open_image

__all__ = ["INPUT_PATTERNS", "Upload", "find_input", "read_upload", "store_upload", "store_video_upload"]

# Inputs keep their own format's extension: photo.jpg (or video.mp4), style_0.png, …
INPUT_PATTERNS = {"photo": "photo", "video": "video", "style": "style_{index}"}


class Upload:
    """One checked upload: its bytes, its decoded size, and the extension of its format."""

    def __init__(self, data: bytes, image: Image.Image) -> None:
        self.data, self.size, self.extension = data, image.size, image_format(data)


def read_upload(stream: BinaryIO, *, label: str, max_bytes: int, max_pixels: int) -> Upload:
    """Read an uploaded file and check that it is a usable image.

    Raises:
        HTTPException: 413 over ``max_bytes``.
        ImageError: not an image, corrupt, too small or too large in pixels.
    """
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise HTTPException(413, f"{label} is larger than {max_bytes:,} bytes")
    image = open_image(data, max_pixels=max_pixels, label=label)
    return Upload(data, image)


def store_upload(upload: Upload, folder: Path, stem: str) -> Path:
    """Write the upload's bytes atomically as ``folder/stem.ext``."""
    target = folder / f"{stem}{upload.extension}"
    with atomic_path(target) as temporary:
        temporary.write_bytes(upload.data)
    return target


def find_input(folder: Path, stem: str) -> Path:
    """The stored input called ``stem`` (any extension; jobs from older versions stored PNG).

    Raises:
        ImageError: it is not there (its folder was changed outside the service).
    """
    for path in sorted(folder.glob(f"{stem}.*")):
        if not path.name.startswith("."):  # atomic writes in progress are hidden files
            return path
    raise ImageError(f"the job's input {stem!r} is missing; submit the job again")


VIDEO_STEM = "video"
_CHUNK = 1024 * 1024


def store_video_upload(stream: BinaryIO, folder: Path, *, filename: str, max_bytes: int) -> Path:
    """Copy an uploaded video to ``folder/video.<ext>`` in chunks (never whole in memory), within ``max_bytes``.

    The extension is the client's when it names a video container FFmpeg knows; FFmpeg reads the
    content either way.

    Raises:
        HTTPException: 413 over ``max_bytes``.
    """
    from ..video.media import INPUT_SUFFIXES

    suffix = Path(filename or "").suffix.lower()
    target = folder / f"{VIDEO_STEM}{suffix if suffix in INPUT_SUFFIXES else '.mp4'}"
    written = 0
    with atomic_path(target) as temporary, temporary.open("wb") as out:
        while chunk := stream.read(_CHUNK):
            written += len(chunk)
            if written > max_bytes:
                raise HTTPException(413, f"video is larger than {max_bytes:,} bytes")
            out.write(chunk)
    return target
