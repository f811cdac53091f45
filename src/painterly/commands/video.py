"""``painterly video CLIP -o OUT``: a clip through one loaded stylizer, flicker-corrected, audio kept, resumable."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from .._settings import setting_fields
from ..devices import make_device
from ..image_io import open_image
from ..loading import load
from ..methods.base import Stylizer
from ..provenance import record_from_video, same_work, stylizer_record
from ..video.media import INPUT_SUFFIXES, OUTPUT_CODECS
from ..video.pipeline import CONSISTENCY, VideoSettings, describe, partial_folder, stylize_video
from ._options import add_setting_options, method_fields
from ._progress import ProgressBar, set_threads
from .stylize import chosen_method

NAME = "video"
HELP = "stylize a video clip (every method; flicker-corrected, audio kept, resumable)"
ORDER = 2

DEFAULTS = VideoSettings()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("clip", help=f"the video ({' '.join(INPUT_SUFFIXES)})")
    parser.add_argument("--output", "-o", required=True,
                        help=f"result video; the extension picks the codec ({', '.join(OUTPUT_CODECS)}: "
                             "H.264, or VP9 for .webm)")  # fmt: skip
    parser.add_argument("--style", "-s", action="append", default=[], help="a style image; repeat to mix styles")
    parser.add_argument("--style-weights", help="mixing weights, one per --style, e.g. 0.7,0.3 [equal]")
    parser.add_argument("--method", "-m", default="feedforward", help="stylization method [feedforward]")
    parser.add_argument("--consistency", choices=CONSISTENCY, default=DEFAULTS.consistency,
                        help="flow: carry each result along the optical flow to stop flicker; none: frames on "
                             f"their own [{DEFAULTS.consistency}]")  # fmt: skip
    parser.add_argument("--temporal-blend", type=float, default=DEFAULTS.temporal_blend,
                        help="one-pass methods: share of the previous frame kept where the motion is trusted, "
                             "0–1 (more: steadier, but trails) [the method's: 0.4 feedforward, 0.55 adain, "
                             "wct]")  # fmt: skip
    parser.add_argument("--start", type=float, default=0.0, help="seconds into the clip to begin [0]")
    parser.add_argument("--duration", type=float, help="seconds to stylize [to the end]")
    parser.add_argument("--every", type=int, default=1, help="stylize every Nth frame, for a quick preview [1]")
    parser.add_argument("--no-audio", action="store_true", help="leave the audio out")
    parser.add_argument("--batch", type=int, default=DEFAULTS.batch,
                        help=f"frames per stylizer call for one-pass methods [{DEFAULTS.batch}]")  # fmt: skip
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run of the same command")
    parser.add_argument("--force", "-f", action="store_true", help="overwrite the output, or an unfinished run")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda:0 [cpu]")
    parser.add_argument("--threads", type=int, help="CPU threads for torch [torch's default]")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print a summary of the run as JSON")
    add_setting_options(parser, method_fields())


def run(options: argparse.Namespace) -> int:
    set_threads(options.threads)
    video_settings = VideoSettings(consistency=options.consistency, temporal_blend=options.temporal_blend,
                                   start=options.start, duration=options.duration, every=options.every,
                                   audio=not options.no_audio, batch=options.batch)  # fmt: skip
    device = make_device(options.device)
    stylizer_class, settings, weights = chosen_method(options)
    styles = [open_image(path, label="style image") for path in options.style]
    fields = setting_fields(stylizer_class.Settings)
    stylizer = load(options.method, device=device, **{f.name: getattr(settings, f.name) for f in fields})
    if options.threads is None and device.type == "cpu":
        torch.set_num_threads(video_threads(stylizer, video_settings, torch.get_num_threads()))
    provenance = stylizer_record(stylizer, photo=options.clip, styles=options.style, style_weights=weights,
                                 video=video_settings)  # fmt: skip
    output = Path(options.output)
    if options.resume and not options.force and output.is_file() and same_work(record_from_video(output), provenance):
        print(f"painterly: {output} is already finished (made by this same command); nothing to resume",
              file=sys.stderr)  # fmt: skip
        print(json.dumps({"output": str(output), "already_finished": True}) if options.json else output)
        return 0
    try:
        with ProgressBar(quiet=options.quiet) as bar:
            report = stylize_video(stylizer, options.clip, options.output, styles, style_weights=weights,
                                   settings=video_settings, resume=options.resume, force=options.force,
                                   callback=bar, provenance=provenance)  # fmt: skip
    except KeyboardInterrupt:
        if partial_folder(Path(options.output)).exists():
            raise KeyboardInterrupt("interrupted; finished segments are kept: run the same command with --resume "
                                    "to continue") from None  # fmt: skip
        raise
    print(json.dumps(describe(report)) if options.json else report.output)
    return 0


def video_threads(stylizer: Stylizer, settings: VideoSettings, cores: int) -> int:
    """Torch threads for a video run: with flow correction, a real-time method leaves a core to the finisher.

    The flow, the blend and the encoder run beside the stylizer (``video/pipeline.py``); on 2 cores,
    640×360 feedforward with flow went from 14.9 to 15.9 frames/s with one torch thread instead of two
    (without flow, two threads stay faster: 26 against 18 frames/s). A slower method keeps every core:
    adain with flow fell from 3.3 to 1.9 frames/s on one thread, its finishing being a small share.
    """
    return max(1, cores - 1) if stylizer.real_time and settings.consistency == "flow" else cores


__all__ = ["HELP", "NAME", "add_arguments", "run", "video_threads"]
