"""Training the decoders of the one-pass methods: photos × paintings, content loss against the
transform's target and a mean/std style loss at relu1_1…relu4_1 (Huang & Belongie 2017), resumable
in chunks. The target is AdaIN's (``objective="adain"``, the bundled decoder) or WCT's
(``"wct"``: whitening and colouring, usually fine-tuned from the AdaIN decoder with ``init_from``).

Sizes were chosen by measurement for 2 CPU cores (see ``docs/adain-training.md``): 192 px
crops, batch 8, the encoder in bfloat16 where the CPU has it natively. The run folder holds
``config.json``, ``checkpoint.pt``, ``losses.csv``, ``losses.png``, ``preview.png`` and, at the
end, the decoder as ``decoder.safetensors``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from .._layout import channels_last
from ..devices import make_device
from ..encoders.vgg import VGG19Encoder
from ..errors import ArgumentError
from ..image_io import tensor_to_image
from ..losses.functional import content_loss, mean_std_loss
from ..methods._encoder_decoder import DECODER_KIND, decoder_path
from ..model_files import load_into, save_model
from ..nets.adain import AdaINDecoder
from ..precision import Precision, encoder_autocast, resolve_precision
from ..transforms import adaptive_instance_norm, feature_mean_std, wct, wct_statistics
from .checkpoint import (
    compact_optimizer_state,
    expand_optimizer_state,
    write_config,
)
from .data import ImageBank, licence_counts, list_images, load_bank
from .distributed import join
from .log import LossLog
from .loop import TrainingCallback, readable_images, resolve_run, run_loop

__all__ = ["OBJECTIVES", "STYLE_LAYERS", "DecoderTrainingConfig", "train_decoder"]

logger = logging.getLogger(__name__)

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
OBJECTIVES = ("adain", "wct")


@dataclass(frozen=True)
class DecoderTrainingConfig:
    """Settings of a decoder training run; saved beside its checkpoints and read back on resume."""

    photos: str  # folder of content photos
    styles: str  # folder of paintings
    output: str  # run folder: checkpoint, config, logs, previews, final decoder
    objective: str = "adain"  # the transform whose target the decoder learns to paint: adain or wct
    init_from: str | None = None  # a decoder (model name, "bundled" or file) to fine-tune from
    steps: int = 8000  # total optimizer steps (a resumed run continues to this count)
    batch_size: int = 8  # photo/painting pairs per step: the global batch, split over a torchrun job's processes
    crop: int = 192  # square crop size in pixels
    photo_short_side: int = 256  # photos are resized to this short side before cropping
    style_short_side: int = 320  # paintings likewise: crops then hold a good share of the painting
    learning_rate: float = 1e-4  # Adam, as in the paper
    learning_rate_decay: float = 5e-5  # lr / (1 + decay · step), as in the paper's code
    style_weight: float = 10.0  # λ of the paper
    checkpoint_every: int = 100  # steps between checkpoints (a stop loses at most this many)
    preview_every: int = 250  # steps between preview grids
    preview_photos: str | None = None  # held-out photo folder for previews (default: first photos)
    seed: int = 0  # data sampling and initialization
    precision: Precision = "auto"  # encoder/decoder compute: bfloat16 where the CPU has it natively
    device: str = "cpu"  # torch device to train on, e.g. cuda:0 (the frozen encoder moves there too)

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "crop", "checkpoint_every", "preview_every"):
            if getattr(self, name) < 1:
                raise ArgumentError(f"{name} must be ≥ 1, got {getattr(self, name)}", name=name)
        if self.crop < 32 or self.crop > min(self.photo_short_side, self.style_short_side):
            raise ArgumentError(f"crop must be within 32..{min(self.photo_short_side, self.style_short_side)}")
        if self.objective not in OBJECTIVES:
            raise ArgumentError(f"objective must be one of {', '.join(OBJECTIVES)}", name="objective")


@dataclass
class _Batch:
    photos: torch.Tensor
    styles: torch.Tensor


class _DecoderTrainer:
    def __init__(self, config: DecoderTrainingConfig, encoder: VGG19Encoder, callback: TrainingCallback | None):
        self.ranks, self.device = join(make_device(config.device), config.batch_size)
        self.config, self.encoder, self.callback = config, encoder.to(self.device), callback
        self.folder = Path(config.output)
        self.dtype = resolve_precision(config.precision, self.device)
        torch.manual_seed(config.seed)
        self.decoder = channels_last(AdaINDecoder().to(self.device))
        self.model = self.ranks.wrap(self.decoder, self.device)  # what trains; self.decoder is what is saved
        self.optimizer = torch.optim.Adam(self.decoder.parameters(), lr=config.learning_rate)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.step = 0
        self.photos: ImageBank | None = None
        self.preview_inputs: tuple[list[torch.Tensor], list[torch.Tensor]] = ([], [])
        self.styles: ImageBank | None = None
        self.licences: tuple[dict[str, int], dict[str, int]] = ({}, {})  # photos, paintings: for the model card

    def start_from(self, name: str) -> None:
        """Fine-tune: a new run starts from a saved decoder's weights (a resumed one from its checkpoint)."""
        load_into(decoder_path(name), self.decoder, kind=DECODER_KIND)

    def restore(self, state: dict[str, Any]) -> None:
        self.decoder.load_state_dict(state["decoder"])
        self.optimizer.load_state_dict(expand_optimizer_state(state["optimizer"]))
        self.generator.set_state(state["generator"])
        self.step = int(state["step"])

    def state(self) -> dict[str, Any]:
        return {"decoder": self.decoder.state_dict(), "optimizer": compact_optimizer_state(self.optimizer.state_dict()),
                "generator": self.generator.get_state(), "step": self.step}  # fmt: skip

    def load_data(self) -> None:
        c = self.config
        self.photos = load_bank(c.photos, c.photo_short_side)
        self.styles = load_bank(c.styles, c.style_short_side)
        self.licences = (licence_counts(list_images(c.photos)), licence_counts(list_images(c.styles)))
        logger.info("photos %d (skipped %d), paintings %d (skipped %d)", len(self.photos.images),
                    self.photos.skipped, len(self.styles.images), self.styles.skipped)  # fmt: skip

    def batch(self) -> _Batch:
        assert self.photos is not None and self.styles is not None
        size, count, rows = self.config.crop, self.config.batch_size, self.ranks.rows(self.config.batch_size)
        # Every rank draws the whole global batch (the same, from the same generator) and trains on its rows.
        return _Batch(self.photos.random_crops(count, size, self.generator)[rows].to(self.device),
                      self.styles.random_crops(count, size, self.generator)[rows].to(self.device))  # fmt: skip

    def losses(self, batch: _Batch) -> tuple[torch.Tensor, dict[str, float]]:
        with torch.no_grad(), encoder_autocast(self.device, self.dtype):
            content = self.encoder(batch.photos, ["relu4_1"])["relu4_1"].float()
            style_features = self.encoder(batch.styles, list(STYLE_LAYERS))
        style_stats = {name: feature_mean_std(features.float()) for name, features in style_features.items()}
        target = self.target(content, style_features["relu4_1"].float())
        with encoder_autocast(self.device, self.dtype):
            output = self.model(target.contiguous(memory_format=torch.channels_last))
            output_features = self.encoder(output, list(STYLE_LAYERS))
        content_term = content_loss(output_features["relu4_1"], target)
        style_term = sum(mean_std_loss(output_features[name], *style_stats[name]) for name in STYLE_LAYERS)
        total = content_term + self.config.style_weight * style_term
        return total, {"total": float(total.detach()), "content": float(content_term.detach()),
                       "style": float(style_term.detach())}  # type: ignore[union-attr]  # fmt: skip

    def target(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        """What the decoder should paint: the content's ``relu4_1`` features given the style's statistics."""
        if self.config.objective == "wct":
            return wct(content, *wct_statistics(style))
        return adaptive_instance_norm(content, *feature_mean_std(style))

    def train_step(self) -> dict[str, float]:
        for group in self.optimizer.param_groups:
            group["lr"] = self.config.learning_rate / (1 + self.config.learning_rate_decay * self.step)
        self.optimizer.zero_grad(set_to_none=True)
        total, parts = self.losses(self.batch())
        total.backward()  # under DDP the ranks' gradients are averaged here
        self.optimizer.step()
        self.step += 1
        return self.ranks.mean(parts) | {"lr": self.optimizer.param_groups[0]["lr"]}

    def preview(self) -> Image.Image:
        return _preview_grid(self, *self.preview_inputs)

    def export(self) -> Path:
        return _export(self)


def _preview_inputs(config: DecoderTrainingConfig, count: int = 4) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Fixed photos (held out if given) and styles spread over the style folder, for comparable previews."""
    photos = readable_images(list_images(config.preview_photos or config.photos), count, 192)
    style_paths = list_images(config.styles)
    spread = [style_paths[i * len(style_paths) // count] for i in range(count)]
    return photos, readable_images(list(dict.fromkeys(spread + style_paths)), count, 256)


def _preview_grid(trainer: _DecoderTrainer, photos: list[torch.Tensor], styles: list[torch.Tensor]) -> Image.Image:
    """A sheet: first row the styles, then one row per photo (photo, then its stylizations)."""
    cell = 160
    sheet = Image.new("RGB", (cell * (len(styles) + 1), cell * (len(photos) + 1)), "white")
    trainer.decoder.eval()
    with torch.no_grad(), encoder_autocast(trainer.device, trainer.dtype):
        for column, style in enumerate(styles, 1):
            sheet.paste(tensor_to_image(style).resize((cell, cell)), (column * cell, 0))
            features = trainer.encoder(style.to(trainer.device), ["relu4_1"])["relu4_1"].float()
            for row, photo in enumerate(photos, 1):
                content = trainer.encoder(photo.to(trainer.device), ["relu4_1"])["relu4_1"].float()
                result = trainer.decoder(trainer.target(content, features)).float()
                sheet.paste(tensor_to_image(result).resize((cell, cell)), (column * cell, row * cell))
    for row, photo in enumerate(photos, 1):
        sheet.paste(tensor_to_image(photo).resize((cell, cell)), (0, row * cell))
    trainer.decoder.train()
    return sheet


def train_decoder(
    config: DecoderTrainingConfig,
    encoder: VGG19Encoder,
    *,
    resume: bool = False,
    callback: TrainingCallback | None = None,
) -> Path:
    """Train (or resume training) an AdaIN decoder; return the path of the exported decoder.

    Raises:
        ArgumentError: bad folders, nothing to resume, or a run folder already in use.
    """
    config, state = resolve_run(config, DecoderTrainingConfig, resume=resume)
    trainer = _DecoderTrainer(config, encoder, callback)
    if state is not None:
        trainer.restore(state)
    elif config.init_from is not None:
        trainer.start_from(config.init_from)
    trainer.load_data()  # before anything is written: bad folders leave no half-made run behind
    log = None
    if trainer.ranks.main:
        trainer.folder.mkdir(parents=True, exist_ok=True)
        write_config(trainer.folder, config)
        log = LossLog(trainer.folder / "losses.csv", ["total", "content", "style", "lr", "seconds"],
                      resume_step=trainer.step)  # fmt: skip
        trainer.preview_inputs = _preview_inputs(config)
    run_loop(trainer, steps=config.steps, checkpoint_every=config.checkpoint_every, preview_every=config.preview_every,
             log=log, columns=["total", "content", "style"], label="training decoder", callback=callback)  # fmt: skip
    return trainer.folder / "decoder.safetensors"


def _export(trainer: _DecoderTrainer) -> Path:
    """Write the decoder with what it was trained on, as the file ``--method adain`` (or wct) ``--decoder`` loads."""
    c = trainer.config
    metadata = {
        "kind": DECODER_KIND,
        "objective": c.objective,
        "init_from": c.init_from,
        "widths": list(trainer.decoder.widths),
        "encoder": trainer.encoder.weights_name,
        "steps": trainer.step,
        "batch_size": c.batch_size,
        "crop": c.crop,
        "style_weight": c.style_weight,
        "photos": c.photos,
        "styles": c.styles,
        "licences": {"photos": trainer.licences[0], "styles": trainer.licences[1]},
    }
    return save_model(trainer.folder / "decoder.safetensors", trainer.decoder, metadata)
