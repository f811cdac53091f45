"""Tiles: one-pass methods at print resolution in bounded memory, without seams.

A 12 MP photo through the encoder–decoder holds gigabytes of activations at once. Cut into
overlapping tiles, the peak is one tile's activations plus a few full-size RGB buffers. Two
things keep the tiles from showing:

- **Frozen global statistics** (Chen et al. 2022, "Towards Ultra-Resolution Neural Style
  Transfer via Thumbnail Instance Normalization"): whatever a network normalizes over the
  whole image (instance-norm means and spreads, AdaIN/WCT content statistics) is computed
  once on a thumbnail of the whole photo and reused for every tile, so each tile is treated
  as part of the same picture rather than as a picture of its own.
- **Feathered blending**: neighbouring tiles overlap; each tile's weight is 0 for a margin
  at a cut edge (where its convolutions saw padding instead of the real neighbours) and
  ramps linearly to 1 across the rest of the overlap, and the output is the weighted mean.

Tile origins sit on the network's grid (multiples of its downsampling), so a tile's pooling
and strides line up with the untiled image's and the interior of a tile is the untiled result.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import torch
import torch.nn.functional as F

__all__ = [
    "DEFAULT_OVERLAP",
    "THUMBNAIL_SIDE",
    "TILE_BUDGET",
    "Box",
    "blend_tiles",
    "core_boxes",
    "plan_axis",
    "plan_tiles",
    "shifted_partition",
    "thumbnail",
    "tile_side",
]

# Bytes one tile's work may take when the tile size is chosen automatically. Smaller tiles were also faster
# here (adain at 12 MP: 512 px tiles 25.6 s, 816 px 32 s, 1024 px 42 s): large activations leave the caches.
TILE_BUDGET = 256 * 1024**2
AUTO_TILE_MAX = 768  # feedforward at 12 MP: 768 px tiles 1.9 s, 1024 px 2.05 s, 1280 px 1.96 s (and more memory)
DEFAULT_OVERLAP = 64  # pixels two neighbouring tiles share (the outer quarter of it is not used)
THUMBNAIL_SIDE = 1024  # long side at which global statistics are taken (Chen et al. use ~1K thumbnails)


@dataclass(frozen=True)
class Box:
    """A tile's rows ``top:bottom`` and columns ``left:right`` in the full image."""

    top: int
    left: int
    bottom: int
    right: int

    def of(self, image: torch.Tensor) -> torch.Tensor:
        return image[..., self.top : self.bottom, self.left : self.right]


def tile_side(bytes_per_pixel: float, *, budget: int = TILE_BUDGET, multiple: int = 8, minimum: int = 64,
              maximum: int = AUTO_TILE_MAX) -> int:  # fmt: skip
    """The largest square tile (up to ``maximum``) whose work fits ``budget`` at the method's peak bytes per pixel."""
    side = min(maximum, int(math.sqrt(budget / bytes_per_pixel)))
    return max(minimum, side - side % multiple)


def plan_axis(length: int, tile: int, overlap: int, multiple: int) -> list[tuple[int, int]]:
    """Start and end of each tile along one axis: evenly spread, origins on the ``multiple`` grid,
    neighbours overlapping by at least ``overlap``, every tile ``tile`` long (the last ends at ``length``)."""
    if length <= tile:
        return [(0, length)]
    advance = tile - overlap - multiple  # room for rounding the origins down to the grid
    if advance <= 0:
        raise ValueError(f"tile {tile} is too small for an overlap of {overlap} on a grid of {multiple}")
    count = math.ceil((length - tile) / advance) + 1
    spacing = (length - tile) / (count - 1)
    starts = [int(i * spacing) // multiple * multiple for i in range(count - 1)] + [length - tile]
    return [(start, start + tile) for start in starts]


def plan_tiles(height: int, width: int, tile: int, overlap: int = DEFAULT_OVERLAP, multiple: int = 8) -> list[Box]:
    """Tiles covering a ``height`` × ``width`` image (sides multiples of ``multiple``), row by row."""
    rows, columns = plan_axis(height, tile, overlap, multiple), plan_axis(width, tile, overlap, multiple)
    return [Box(top, left, bottom, right) for top, bottom in rows for left, right in columns]


def core_boxes(boxes: list[Box], height: int, width: int, multiple: int = 8) -> list[Box]:
    """For tiles planned by ``plan_tiles``, the part of each that no other tile claims: the tiles' overlaps
    split at their middles (on the grid), so the parts partition the image and each lies at least half
    an overlap away from its tile's cut edges."""

    def splits(spans: list[tuple[int, int]], length: int) -> dict[tuple[int, int], tuple[int, int]]:
        ordered = sorted(set(spans))
        cuts = [0] + [(end + start) // 2 // multiple * multiple for (_, end), (start, _) in pairwise(ordered)]
        return {span: (cut, following) for span, cut, following in zip(ordered, cuts, [*cuts[1:], length])}

    rows = splits([(b.top, b.bottom) for b in boxes], height)
    columns = splits([(b.left, b.right) for b in boxes], width)
    cores = []
    for box in boxes:
        (top, bottom), (left, right) = rows[(box.top, box.bottom)], columns[(box.left, box.right)]
        cores.append(Box(top, left, bottom, right))
    return cores


def _ramp(start: int, end: int, length: int, overlap: int) -> torch.Tensor:
    """One axis of a tile's window: 0 within ``overlap // 4`` of an inner cut edge, then a linear ramp to 1."""
    margin = overlap // 4
    rise = max(1, overlap - 2 * margin)
    position = torch.arange(end - start, dtype=torch.float32) + 0.5
    weight = torch.ones(end - start)
    if start > 0:
        weight = torch.minimum(weight, ((position - margin) / rise).clamp(0, 1))
    if end < length:
        weight = torch.minimum(weight, ((end - start - position - margin) / rise).clamp(0, 1))
    return weight


def blend_tiles(
    image: torch.Tensor,
    run: Callable[[torch.Tensor, Box], torch.Tensor],
    boxes: list[Box],
    *,
    overlap: int = DEFAULT_OVERLAP,
    channels: int = 3,
    on_tile: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """``run`` on each tile of ``image`` ``(B, C, H, W)``, the results blended into one ``(B, channels, H, W)``.

    ``run(tile, box)`` returns the tile's result at the tile's size; ``on_tile(done, count)``
    follows each tile (progress, cancellation).
    """
    batch, _, height, width = image.shape
    output = torch.zeros(batch, channels, height, width, device=image.device)
    # Windows are outer products of a row ramp and a column ramp on a grid of tiles, so their sum is
    # the outer product of the ramps' sums: two vectors instead of a full-size weight image.
    row_total, column_total = torch.zeros(height), torch.zeros(width)
    for top, bottom in {(b.top, b.bottom) for b in boxes}:
        row_total[top:bottom] += _ramp(top, bottom, height, overlap)
    for left, right in {(b.left, b.right) for b in boxes}:
        column_total[left:right] += _ramp(left, right, width, overlap)
    for index, box in enumerate(boxes):
        result = run(box.of(image), box)
        rows = _ramp(box.top, box.bottom, height, overlap) / row_total[box.top : box.bottom]
        columns = _ramp(box.left, box.right, width, overlap) / column_total[box.left : box.right]
        box.of(output).addcmul_(result.float(), (rows[:, None] * columns[None, :]).to(image.device))
        if on_tile is not None:
            on_tile(index + 1, len(boxes))
    return output


def thumbnail(image: torch.Tensor, *, side: int = THUMBNAIL_SIDE, multiple: int = 8, minimum: int = 16) -> torch.Tensor:
    """The whole image at a long side of at most ``side`` (sides on the ``multiple`` grid): where global
    statistics are taken. An image already that small is its own thumbnail, so its statistics are exact."""
    height, width = image.shape[-2:]
    if max(height, width) <= side:
        return image
    scale = side / max(height, width)

    def fit(length: int) -> int:
        return max(minimum, round(length * scale / multiple) * multiple)

    return F.interpolate(image, size=(fit(height), fit(width)), mode="bilinear", align_corners=False, antialias=True)


def _cuts(length: int, side: int, offset: int) -> list[tuple[int, int]]:
    """Pieces of one axis, at most ``side`` long: cut every ⅔ side from ``offset``, a piece under half of
    that joining its neighbour (so pieces are ⅓ to 1 side long)."""
    spacing = max(1, side * 2 // 3)
    edges = [0, *range(offset % spacing or spacing, length, spacing), length]
    pieces = [(start, end) for start, end in pairwise(edges) if end > start]
    merged: list[tuple[int, int]] = []
    for start, end in pieces:
        if merged and (end - start < spacing // 2 or merged[-1][1] - merged[-1][0] < spacing // 2):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def shifted_partition(height: int, width: int, side: int, step: int, multiple: int = 8) -> list[Box]:
    """Non-overlapping tiles of at most ``side`` covering the image, the grid shifted at every ``step``
    (golden-ratio offsets), so no tile border stays in one place across the iterations of an optimization."""
    golden = 0.6180339887

    def offset(phase: float) -> int:
        return int((phase % 1.0) * side * 2 / 3) // multiple * multiple

    rows = _cuts(height, side, offset(step * golden))
    columns = _cuts(width, side, offset(step * golden * golden + 0.5))
    return [Box(top, left, bottom, right) for top, bottom in rows for left, right in columns]
