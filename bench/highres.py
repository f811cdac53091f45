"""Print resolution: peak memory, time per pixel, and seams of tiled results.

Targets (print-resolution issue): a 12 MP photo (4032×3024, a ../shared/data/photos/highres image
enlarged) in ≤ 1.5 GB with adain and ≤ 1 GB with feedforward; a 4096×4096 result by every
method in ≤ 4 GB; one-pass time per pixel within 15 % from 1 MP to 16 MP; along tile borders
the gradient magnitude and local style statistics within 10 % of the tile interiors; tiled vs
untiled at 2 MP stated.

Memory is the peak RSS of a real ``painterly stylize`` process per row (decode, stylize, PNG
save). Times per pixel are measured in one process on tensors (best of two; 16 MP once).

Run: ``.venv/bin/python bench/highres.py [--threads N]``; writes bench/results/highres.md and
highres_crops.png (1:1 crops across a tile corner, tiled beside untiled).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, RESULTS, machine_line, markdown_table, publish, require_shared_data, run_child

import painterly
from painterly.encoders import get_encoder
from painterly.image_io import image_to_tensor, open_image
from painterly.methods import get_method
from painterly.tiling import plan_tiles

WORK = REPO / "bench" / "work"
PHOTO = "alfred-schrock-shoE2y51uX0-unsplash.jpg"
PAINTING = "starry_night.jpg"  # in ../shared/data/classic
MODEL = "starry_night"
ONE_PASS = {"adain": {}, "wct": {}, "feedforward": {"model": MODEL}}


def make_inputs(shared: Path) -> dict[str, Path]:
    """The highres photo cropped to 4:3 and enlarged to 12 MP, and cropped square at 4096²."""
    WORK.mkdir(parents=True, exist_ok=True)
    source = open_image(shared / "photos" / "highres" / PHOTO)
    width, height = source.size
    paths = {"12mp": WORK / "photo_12mp.jpg", "square": WORK / "photo_4096_square.jpg"}
    if not paths["12mp"].exists():
        crop = round(width * 3 / 4)
        top = (height - crop) // 2
        source.crop((0, top, width, top + crop)).resize((4032, 3024), Image.Resampling.LANCZOS).save(
            paths["12mp"], quality=95
        )
    if not paths["square"].exists():
        side = min(width, height)
        left = (width - side) // 2
        source.crop((left, 0, left + side, side)).resize((4096, 4096), Image.Resampling.LANCZOS).save(
            paths["square"], quality=95
        )
    return paths


def cli_row(label: str, photo: Path, method: str, options: list[str], output: Path, threads: int) -> list[str]:
    painting = require_shared_data() / "classic" / PAINTING
    styles = ["--style", str(painting)] if method != "feedforward" else ["--model", MODEL]
    command = [str(REPO / ".venv" / "bin" / "painterly"), "stylize", str(photo), *styles, "-m", method, "-o",
               str(output), "-f", "-q", "--threads", str(threads), *options]  # fmt: skip
    run = run_child(command)
    if run.returncode != 0:
        return [label, method, "failed", "", run.stderr.strip().splitlines()[-1] if run.stderr else ""]
    size = Image.open(output).size
    return [label, method, f"{size[0]}×{size[1]}", f"{run.seconds:.1f}", f"{run.peak_rss_mb / 1024:.2f}"]


def seconds_per_megapixel(stylizer, photo: torch.Tensor, styles: list[str], side: int, repeats: int) -> float:  # type: ignore[no-untyped-def]
    image = torch.nn.functional.interpolate(photo, size=(round(side * 3 / 4), side), mode="bilinear",
                                            antialias=True, align_corners=False)  # fmt: skip
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        stylizer(image, styles, output="tensor")
        best = min(best, time.perf_counter() - started)
    return best / (image.shape[-1] * image.shape[-2] / 1e6)


def gradient_magnitude(image: torch.Tensor) -> torch.Tensor:
    """Per-pixel |∇| of the luminance (forward differences), ``(H-1, W-1)``."""
    grey = image[0].mean(0)
    return ((grey[1:, :-1] - grey[:-1, :-1]).square() + (grey[:-1, 1:] - grey[:-1, :-1]).square()).sqrt()


def seam_statistics(result: torch.Tensor, boxes: list, overlap: int) -> tuple[float, float]:  # type: ignore[type-arg]
    """Relative difference, border bands vs nearby interior bands, of (mean gradient magnitude, local style).

    For every cut between neighbouring tiles, a 32 px band centred in their overlap (where the
    blend happens) is compared with two bands of the same size 96 px to either side (inside the
    tiles), so the content is nearly the same and only a seam would differ. Local style: the
    mean of per-channel standard deviations of VGG relu2_1 features over those bands.
    """
    encoder = get_encoder("vgg19.caffe_q8", "max", "relu2_1")
    height, width = result.shape[-2:]
    lines_x = sorted({box.left + overlap // 2 for box in boxes if box.left > 0})
    lines_y = sorted({box.top + overlap // 2 for box in boxes if box.top > 0})
    half, shift = 16, 96
    bands: dict[str, list[torch.Tensor]] = {"border": [], "interior": []}
    for x in lines_x:
        if x - shift - half >= 0 and x + shift + half <= width:
            bands["border"].append(result[..., :, x - half : x + half])
            bands["interior"] += [result[..., :, x - shift - half : x - shift + half],
                                  result[..., :, x + shift - half : x + shift + half]]  # fmt: skip
    for y in lines_y:
        if y - shift - half >= 0 and y + shift + half <= height:
            bands["border"].append(result[..., y - half : y + half, :].transpose(-1, -2))
            bands["interior"] += [result[..., y - shift - half : y - shift + half, :].transpose(-1, -2),
                                  result[..., y + shift - half : y + shift + half, :].transpose(-1, -2)]  # fmt: skip

    def gradient(group: list[torch.Tensor]) -> float:
        return float(torch.stack([gradient_magnitude(band).mean() for band in group]).mean())

    def style(group: list[torch.Tensor]) -> float:
        with torch.no_grad():
            values = []
            for band in group:
                for start in range(0, band.shape[-2] - 256 + 1, 256):  # 256 px pieces bound the encoder's memory
                    features = encoder(band[..., start : start + 256, :].contiguous(), ["relu2_1"])["relu2_1"]
                    values.append(features.float().flatten(2).std(dim=2).mean())
            return float(torch.stack(values).mean())

    return (abs(gradient(bands["border"]) / gradient(bands["interior"]) - 1),
            abs(style(bands["border"]) / style(bands["interior"]) - 1))  # fmt: skip


def corner_crop(image: Image.Image, boxes: list, overlap: int, size: int = 256) -> Image.Image:  # type: ignore[type-arg]
    """A 1:1 crop centred where four tiles meet (the middle of an inner overlap corner)."""
    inner = [box for box in boxes if box.left > 0 and box.top > 0]
    box = inner[len(inner) // 2]
    x, y = box.left + overlap // 2, box.top + overlap // 2
    return image.crop((x - size // 2, y - size // 2, x + size // 2, y + size // 2))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--skip-optimize", action="store_true", help="leave out the 4096² optimize row (~10 min)")
    options = parser.parse_args()
    torch.set_num_threads(options.threads)
    shared = require_shared_data()
    inputs = make_inputs(shared)
    painting = str(shared / "classic" / PAINTING)
    sections = [f"# Print resolution\n\n{machine_line()}\n"]

    # 1. Peak memory and time of real CLI runs.
    rows = []
    outputs: dict[str, Path] = {}
    for method, tile in (("adain", "auto"), ("adain", "-1"), ("feedforward", "auto"), ("feedforward", "-1")):
        output = WORK / f"12mp_{method}_{'tiled' if tile == 'auto' else 'whole'}.png"
        outputs[output.stem] = output
        options_ = [] if tile == "auto" else ["--tile", tile]
        label = "12 MP photo, " + ("tiled (automatic)" if tile == "auto" else "whole (--tile -1)")
        rows.append(cli_row(label, inputs["12mp"], method, options_, output, options.threads))
        print(rows[-1], flush=True)
    square_methods = ["adain", "wct", "feedforward"] + ([] if options.skip_optimize else ["optimize"])
    for method in square_methods:
        extra = ["--size", "original", "--quality", "draft"] if method == "optimize" else []
        output = WORK / f"square_{method}.png"
        rows.append(cli_row("4096² photo" + (" (draft preset)" if method == "optimize" else ""), inputs["square"],
                            method, extra, output, options.threads))  # fmt: skip
        print(rows[-1], flush=True)
    sections.append("## Peak memory (whole `painterly stylize` process)\n\nTargets: 12 MP ≤ 1.5 GB (adain), "
                    "≤ 1 GB (feedforward); 4096² ≤ 4 GB (every method).\n\n"
                    + markdown_table(["input", "method", "result", "seconds", "peak RSS (GB)"], rows))  # fmt: skip

    # 2. Time per pixel, 1 → 16 MP.
    photo = image_to_tensor(open_image(inputs["12mp"]))
    rows = []
    for method, settings in ONE_PASS.items():
        stylizer = painterly.load(method, **settings)
        styles = [painting] if stylizer.needs_style_images else []
        stylizer(photo[..., :512, :512], styles, output="tensor")  # warm-up: encoder, style statistics
        repeats = {side: 2 if side < 3000 or method == "feedforward" else 1 for side in (1155, 2309, 4619)}
        times = {side: seconds_per_megapixel(stylizer, photo, styles, side, repeats[side]) for side in repeats}
        ratio = times[4619] / times[1155]
        rows.append([method, *(f"{times[s]:.2f}" for s in times), f"{ratio:.2f}", "yes" if ratio <= 1.15 else "no"])
        print(rows[-1], flush=True)
    header = ["method", "1 MP s/MP", "4 MP s/MP", "16 MP s/MP", "16/1", "≤ 1.15"]
    sections.append("## Time per megapixel (in process, tensors)\n\nTarget: 16 MP within 15 % of 1 MP per pixel.\n\n"
                    + markdown_table(header, rows))  # fmt: skip

    # 3. Tiled vs whole at 2 MP, with tiles forced where the automatic choice would not tile.
    two = torch.nn.functional.interpolate(photo, size=(1224, 1632), mode="bilinear", antialias=True,
                                          align_corners=False)  # fmt: skip
    rows = []
    for method, settings in ONE_PASS.items():
        stylizer = painterly.load(method, **settings)
        styles = [painting] if stylizer.needs_style_images else []
        whole = stylizer(two, styles, output="tensor", tile=-1)
        cls = get_method(method)
        side = cls.tile_size(stylizer.settings, 1632, 1224) or 560
        tiled = stylizer(two, styles, output="tensor", tile=side)
        difference = (whole - tiled).abs()
        psnr = 10 * torch.log10(1 / difference.square().mean())
        high = difference.flatten().kthvalue(int(0.999 * difference.numel())).values
        rows.append([method, str(side), f"{difference.mean():.5f}", f"{high:.4f}", f"{difference.max():.4f}",
                     f"{psnr:.1f}"])  # fmt: skip
        print(rows[-1], flush=True)
    header = ["method", "tile px", "mean |Δ|", "99.9th pct |Δ|", "max |Δ|", "PSNR dB"]
    sections.append("## Tiled vs whole, 1632×1224\n\n" + markdown_table(header, rows))

    # 4. Seams in the 12 MP tiled results, and 1:1 crops across a tile corner.
    rows, crops = [], []
    for method in ("adain", "feedforward"):
        cls = get_method(method)
        settings = painterly.load(method, **ONE_PASS[method]).settings
        side = cls.tile_size(settings, 4032, 3024)
        assert side is not None
        boxes = plan_tiles(3024, 4032, side, cls.tile_overlap, max(8, cls.pad_multiple))
        tiled_image = open_image(outputs[f"12mp_{method}_tiled"])
        tiled = image_to_tensor(tiled_image)
        gradient, style = seam_statistics(tiled, boxes, cls.tile_overlap)
        whole_image = open_image(outputs[f"12mp_{method}_whole"])
        gradient_whole, style_whole = seam_statistics(image_to_tensor(whole_image), boxes, cls.tile_overlap)
        rows.append([method, f"{side} px, {len(boxes)} tiles", f"{gradient:.1%}", f"{style:.1%}",
                     f"{gradient_whole:.1%}", f"{style_whole:.1%}"])  # fmt: skip
        crops += [(f"{method} tiled", corner_crop(tiled_image, boxes, cls.tile_overlap)),
                  (f"{method} whole", corner_crop(whole_image, boxes, cls.tile_overlap))]  # fmt: skip
        print(rows[-1], flush=True)
    sections.append("## Seams at 12 MP: tile-border bands vs interior bands\n\nTarget ≤ 10 %. The same bands "
                    "of the untiled result show how much the content alone differs.\n\n"
                    + markdown_table(["method", "tiles", "gradient Δ (tiled)", "style Δ (tiled)",
                                      "gradient Δ (whole)", "style Δ (whole)"], rows))  # fmt: skip
    sheet = Image.new("RGB", (len(crops) * 266, 286), "white")
    draw = ImageDraw.Draw(sheet)
    for index, (label, crop) in enumerate(crops):
        sheet.paste(crop, (index * 266 + 5, 25))
        draw.text((index * 266 + 8, 6), label, fill="black")
    sheet.save(RESULTS / "highres_crops.png")
    sections.append("Crops: `highres_crops.png` (256 px at 1:1, centred where four tiles meet).")
    publish("highres", "\n\n".join(sections))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
