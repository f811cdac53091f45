"""Batches: many photos through stylizers loaded once, resumable, one bad item never stopping the rest.

A shell loop over ``painterly stylize`` starts Python, imports torch and loads the model again
for every photo (8 photos: 12.3 s against 0.7 s in one process). A batch plans every item up
front (inputs from folders, globs or a manifest; each item's output path from a name
template), then runs them through ``painterly.load``'s cache, so each method and model is
loaded once and each style set is prepared once.

Rerunning a batch continues it: an output that exists and whose provenance record (written
into every result) names the same method, settings, photo and styles is skipped; an output
that exists but was not made by that item is never overwritten (unless ``force``). Each item
ends as one line of a JSONL report: done, skipped or failed, with its seconds and error.

Videos are items too (``painterly.video``): a clip becomes a stylized clip (``.mp4`` unless the
name template asks for another video container), its record in the container's comment tag;
an interrupted clip continues from its finished segments when the batch is run again.
"""

from __future__ import annotations

import csv
import glob
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from .errors import ArgumentError, OutputError, PainterlyError
from .image_io import OUTPUT_FORMATS, open_image, save_image
from .loading import load
from .methods.base import PreparedStyles, Stylizer, get_method
from .provenance import capture_exif, record_from_image, record_from_video, same_work, stylizer_record
from .video.media import INPUT_SUFFIXES, OUTPUT_CODECS
from .video.pipeline import VideoSettings, stylize_video

__all__ = [
    "PHOTO_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "BatchItem",
    "ItemReport",
    "collect",
    "find_inputs",
    "plan_items",
    "read_manifest",
    "run_batch",
    "style_label",
]

PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp")
# What the video module reads and writes; a .gif stays out of batches (photo folders hold still GIFs).
VIDEO_EXTENSIONS = tuple(suffix for suffix in INPUT_SUFFIXES if suffix != ".gif")
VIDEO_OUTPUTS = tuple(OUTPUT_CODECS)
DEFAULT_TEMPLATE = "{stem}_{style}.png"  # photos; a video gets the same name as .mp4
_GLOB_CHARACTERS = set("*?[")


@dataclass(frozen=True)
class BatchItem:
    """One photo to stylize: with what (method, styles or model, settings) and where the result goes."""

    photo: Path
    output: Path
    method: str
    styles: tuple[str, ...] = ()
    style_weights: tuple[float, ...] | None = None
    settings: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def is_video(self) -> bool:
        return _is_video(self.photo)

    def provenance(self, stylizer: Stylizer, video: VideoSettings | None = None) -> dict[str, Any]:
        return stylizer_record(stylizer, photo=str(self.photo), styles=list(self.styles),
                               style_weights=list(self.style_weights) if self.style_weights else None,
                               video=video)  # fmt: skip

    def split_settings(self) -> tuple[dict[str, Any], VideoSettings | None]:
        """The stylizer's settings, and for a video its ``VideoSettings`` (from the same row: start, duration…)."""
        if not self.is_video:
            return self.settings, None
        video_names = {name for name in VideoSettings.__dataclass_fields__}
        video = {name: value for name, value in self.settings.items() if name in video_names}
        rest = {name: value for name, value in self.settings.items() if name not in video_names}
        return rest, VideoSettings(**video)


@dataclass(frozen=True)
class ItemReport:
    """One line of the batch report."""

    input: str
    output: str
    status: str  # done, skipped (an earlier run made it), or failed
    seconds: float
    method: str
    settings: dict[str, Any]
    error: str | None = None
    warnings: list[str] = field(default_factory=list)  # what the item logged (a photo enlarged, …)


class _WarningsOfOneItem(logging.Handler):
    """Keeps the warnings painterly logs while one item runs, for its report line instead of the terminal:
    a batch of 200 small photos would otherwise print "enlarged" 200 times across the progress bar."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> _WarningsOfOneItem:
        self._logger = logging.getLogger("painterly")
        self._propagated = self._logger.propagate
        self._logger.addHandler(self)
        self._logger.propagate = False
        return self

    def __exit__(self, *exception: object) -> None:
        self._logger.removeHandler(self)
        self._logger.propagate = self._propagated


def find_inputs(inputs: Sequence[str]) -> list[Path]:
    """Photos and videos named by ``inputs``: files as given, folders' photos and videos (by extension,
    sorted), glob patterns.

    Raises:
        ArgumentError: an input that names nothing, or a folder or pattern with no photos or videos.
    """
    suffixes = PHOTO_EXTENSIONS + VIDEO_EXTENSIONS
    photos: list[Path] = []
    for text in inputs:
        path = Path(text)
        if set(text) & _GLOB_CHARACTERS and not path.exists():
            found = sorted(Path(p) for p in glob.glob(text, recursive=True))
            matched = [p for p in found if p.is_file() and p.suffix.lower() in suffixes]
            if not matched:
                raise ArgumentError(f"no photos or videos match {text!r}")
            photos += matched
        elif path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
            if not inside:
                raise ArgumentError(f"folder {text} has no photos or videos ({', '.join(suffixes)})")
            photos += inside
        elif path.is_file():
            photos.append(path)
        else:
            raise ArgumentError(f"input not found: {text}")
    return photos


def read_manifest(path: Path) -> list[dict[str, Any]]:
    """Rows of a CSV (header row) or JSONL manifest: ``photo`` and optionally ``styles`` (``;``-separated in
    CSV), ``style_weights``, ``method``, ``model``, ``output``, ``settings`` (a JSON object); other CSV
    columns are settings. Relative paths are relative to the manifest.

    Raises:
        ArgumentError: unreadable, not CSV or JSONL, or a row without a photo.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ArgumentError(f"cannot read manifest {path}: {error}") from None
    rows: list[dict[str, Any]] = []
    if path.suffix.lower() == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    raise ArgumentError(f"{path}:{number}: not JSON ({error.msg})") from None
                if not isinstance(row, dict):
                    raise ArgumentError(f"{path}:{number}: each line must be a JSON object")
                rows.append(row)
    elif path.suffix.lower() == ".csv":
        for row in csv.DictReader(text.splitlines()):
            cleaned: dict[str, Any] = {k.strip(): v.strip() for k, v in row.items() if k and v and v.strip()}
            if "styles" in cleaned:
                cleaned["styles"] = [s.strip() for s in cleaned["styles"].split(";") if s.strip()]
            extra = {k: cleaned.pop(k) for k in list(cleaned) if k not in _MANIFEST_KEYS}
            if "settings" in cleaned:
                try:
                    cleaned["settings"] = json.loads(cleaned["settings"])
                except json.JSONDecodeError:
                    raise ArgumentError(f"{path}: settings column must hold a JSON object") from None
            cleaned["settings"] = {**extra, **cleaned.get("settings", {})}
            rows.append(cleaned)
    else:
        raise ArgumentError(f"manifest must be .csv or .jsonl, got {path.name}")
    for number, row in enumerate(rows, start=1):
        if not row.get("photo"):
            raise ArgumentError(f"{path}: row {number} has no photo")
        for key in ("photo", "output"):
            if key in row and not Path(row[key]).is_absolute():
                row[key] = str(path.parent / row[key])
        row["styles"] = [s if Path(s).is_absolute() else str(path.parent / s) for s in row.get("styles") or []]
    return rows


_MANIFEST_KEYS = {"photo", "styles", "style_weights", "method", "model", "output", "settings"}


def style_label(styles: Sequence[str], settings: dict[str, Any], method: str) -> str:
    """The ``{style}`` of output names: the style images' stems joined by ``+``, else the model's (or method's)."""
    if styles:
        return "+".join(Path(style).stem for style in styles)
    return Path(str(settings.get("model") or method)).stem


def plan_items(rows: Iterable[dict[str, Any]], *, output_dir: Path, template: str = DEFAULT_TEMPLATE,
               method: str = "optimize", styles: Sequence[str] = (), style_weights: Sequence[float] | None = None,
               settings: dict[str, Any] | None = None) -> list[BatchItem]:  # fmt: skip
    """Items from rows (``{"photo": …}`` plus optional per-row overrides of the defaults given here).

    Raises:
        ArgumentError: a template with unknown fields or an unknown extension; two items writing one file.
    """
    suffix = Path(template).suffix.lower()
    if suffix not in OUTPUT_FORMATS and suffix not in VIDEO_OUTPUTS:
        raise ArgumentError(f"--name must end in {', '.join([*OUTPUT_FORMATS, *VIDEO_OUTPUTS])}, got {template!r}")
    items = []
    for index, row in enumerate(rows):
        photo = Path(row["photo"])
        row_method = row.get("method") or ("feedforward" if row.get("model") else method)
        row_settings = {**(settings or {}), **(row.get("settings") or {})}
        if row.get("model"):
            row_settings["model"] = row["model"]
        row_styles = tuple(row.get("styles") or styles)
        weights = row.get("style_weights", style_weights)
        if isinstance(weights, str):
            weights = [float(w) for w in weights.replace(";", ",").split(",") if w.strip()]
        fields = {"stem": photo.stem, "parent": photo.parent.name, "index": index, "method": row_method,
                  "style": style_label(row_styles, row_settings, row_method)}  # fmt: skip
        try:
            name = template.format(**fields)
        except (KeyError, IndexError, ValueError) as error:
            raise ArgumentError(f"--name {template!r}: unknown field {error}; use {', '.join(fields)}") from None
        output = Path(row["output"]) if row.get("output") else output_dir / _for_kind(Path(name), photo)
        items.append(BatchItem(photo, output, row_method, row_styles, tuple(weights) if weights else None,
                               row_settings))  # fmt: skip
    seen: dict[Path, Path] = {}
    for item in items:
        if item.output in seen:
            raise OutputError(f"{seen[item.output]} and {item.photo} would both be written to {item.output}; "
                              "add {parent} or {index} to --name", path=str(item.output))  # fmt: skip
        seen[item.output] = item.photo
    return items


def _is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_EXTENSIONS


def _for_kind(name: Path, source: Path) -> Path:
    """A template's name with a suffix that suits the input: a video result for a clip, an image for a photo."""
    video = _is_video(source)
    if video and name.suffix.lower() not in VIDEO_OUTPUTS:
        return name.with_suffix(".mp4")
    if not video and name.suffix.lower() not in OUTPUT_FORMATS:
        return name.with_suffix(".png")
    return name


class _Runner:
    """Runs items one by one, keeping what repeats between them: loaded stylizers (the engine's cache) and
    prepared style sets."""

    def __init__(self, device: torch.device | str, force: bool, jpeg_quality: int) -> None:
        self.device, self.force, self.jpeg_quality = device, force, jpeg_quality
        self._styles: dict[tuple[Any, ...], PreparedStyles] = {}

    def prepared(self, stylizer: Stylizer, item: BatchItem) -> PreparedStyles:
        key = (stylizer.spec, item.styles, item.style_weights)
        if key not in self._styles:
            images = [open_image(style, label="style image") for style in item.styles]
            self._styles[key] = stylizer.prepare_styles(images, item.style_weights)
            while len(self._styles) > 16:
                self._styles.pop(next(iter(self._styles)))
        return self._styles[key]

    def run(self, item: BatchItem) -> ItemReport:
        with _WarningsOfOneItem() as warnings:
            report = self._run(item)
        return replace(report, warnings=warnings.messages) if warnings.messages else report

    def _run(self, item: BatchItem) -> ItemReport:
        started = time.perf_counter()
        try:
            settings, video = item.split_settings()
            stylizer = load(item.method, device=self.device, **settings)
            provenance = item.provenance(stylizer, video)
            if item.output.exists() and not self.force:
                made = record_from_video(item.output) if item.is_video else record_from_image(item.output)
                if same_work(made, provenance):
                    return self._report(item, stylizer, "skipped", started)
                raise OutputError(f"{item.output} exists and was not made by this item; use --force to replace it",
                                  path=str(item.output))  # fmt: skip
            if video is not None:
                item.output.parent.mkdir(parents=True, exist_ok=True)
                # resume: a clip interrupted in an earlier run continues from its finished segments
                stylize_video(stylizer, item.photo, item.output, self.prepared(stylizer, item), settings=video,
                              resume=True, force=self.force, provenance=provenance)  # fmt: skip
                return self._report(item, stylizer, "done", started)
            photo = open_image(item.photo, label="photo")
            type(stylizer).check_fits(stylizer.settings, *photo.size)
            result = stylizer(photo, self.prepared(stylizer, item))
            item.output.parent.mkdir(parents=True, exist_ok=True)
            save_image(result, item.output, force=True, jpeg_quality=self.jpeg_quality, provenance=provenance,
                       exif=capture_exif(item.photo))  # fmt: skip
            return self._report(item, stylizer, "done", started)
        except (PainterlyError, OSError) as error:
            return self._report(item, None, "failed", started, str(error))
        except Exception as error:  # a bug in one item must not end the batch; it is reported like one
            return self._report(item, None, "failed", started, f"internal error: {type(error).__name__}: {error}")

    @staticmethod
    def _report(item: BatchItem, stylizer: Stylizer | None, status: str, started: float,
                error: str | None = None) -> ItemReport:  # fmt: skip
        settings = asdict(stylizer.settings) if stylizer is not None else dict(item.settings)
        return ItemReport(str(item.photo), str(item.output), status, round(time.perf_counter() - started, 3),
                          item.method, json.loads(json.dumps(settings, default=str)), error)  # fmt: skip


def run_batch(items: Sequence[BatchItem], *, device: torch.device | str = "cpu", report: Path | None = None,
              force: bool = False, jpeg_quality: int = 95,
              on_item: Callable[[ItemReport], None] | None = None) -> list[ItemReport]:  # fmt: skip
    """Stylize every item; each ends done, skipped or failed (never stopping the others).

    ``report`` gets one JSON line per item as it ends (appended, so an interrupted run's lines stay);
    ``on_item`` is called likewise (progress). Ctrl-C stops between items; a rerun skips what is done.
    """
    for item in items:
        get_method(item.method)  # an unknown method is the whole batch's mistake: say so before any work
    runner = _Runner(device, force, jpeg_quality)
    return collect((runner.run(item) for item in items), report, on_item)


def collect(outcomes: Iterable[ItemReport], report: Path | None, on_item: Callable[[ItemReport], None] | None
            ) -> list[ItemReport]:  # fmt: skip
    """Outcomes as they arrive (from this process or a cluster): each appended to the JSONL report at once
    (an interrupted run keeps its lines) and passed to ``on_item``."""
    reports = []
    for outcome in outcomes:
        reports.append(outcome)
        if report is not None:
            with report.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(asdict(outcome)) + "\n")
        if on_item is not None:
            on_item(outcome)
    return reports
