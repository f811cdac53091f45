"""Data-parallel training over processes (torch DDP), started by ``torchrun``.

``torchrun --nproc_per_node N -m painterly train …`` starts N processes that each train on a slice
of every step's batch; DDP averages their gradients, so all of them take the same optimizer step.
The config's ``batch_size`` is the *global* batch (and the learning rate the one for that batch):
every rank draws the whole batch from the same seeded generator and keeps its own rows, so the data
order — and, up to float rounding in the averaging, each step — equals a single process's with the
same batch, and a run can be resumed with another number of processes. Rank 0 alone writes the log,
previews, checkpoints and the model; every rank reads the checkpoint to resume.

Backend: gloo on CPUs (one machine or several, over TCP), nccl on CUDA GPUs (one per process,
``cuda:LOCAL_RANK``). Outside ``torchrun`` (no ``WORLD_SIZE``) everything here is a no-op.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from ..errors import ArgumentError

__all__ = ["Ranks", "is_main_process", "join", "leave"]


def is_main_process() -> bool:
    """Whether this process is rank 0 of a torchrun job (or not under torchrun at all)."""
    return int(os.environ.get("RANK", "0")) == 0


@dataclass(frozen=True)
class Ranks:
    """This process's place in the job: rank ``rank`` of ``world`` processes."""

    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def rows(self, global_batch: int) -> slice:
        """This rank's rows of a global batch (which the world size divides)."""
        share = global_batch // self.world
        return slice(self.rank * share, (self.rank + 1) * share)

    def wrap(self, module: nn.Module, device: torch.device) -> nn.Module:
        """``module`` under DistributedDataParallel, or as it is in a single process."""
        if self.world == 1:
            return module
        return nn.parallel.DistributedDataParallel(module, device_ids=[device.index] if device.type == "cuda" else None)

    def average_gradients(self, module: nn.Module) -> None:
        """All-reduce ``module``'s gradients to their mean (for a module that DDP cannot wrap, e.g. a critic
        trained with a gradient penalty, whose double backward DDP's hooks do not support)."""
        if self.world == 1:
            return
        for parameter in module.parameters():
            if parameter.grad is not None:
                dist.all_reduce(parameter.grad)
                parameter.grad.div_(self.world)

    def mean(self, values: dict[str, float]) -> dict[str, float]:
        """The mean of each number over the ranks: losses of the global batch for the log."""
        if self.world == 1 or not values:
            return values
        names = sorted(values)
        tensor = torch.tensor([values[name] for name in names], dtype=torch.float64)
        dist.all_reduce(tensor)
        return {name: float(value) / self.world for name, value in zip(names, tensor.tolist())}


def join(device: torch.device, global_batch: int) -> tuple[Ranks, torch.device]:
    """Join the torchrun job this process belongs to (if any); the ranks and this rank's device.

    Raises:
        ArgumentError: the global batch does not split evenly over the processes.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Ranks(), device
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if global_batch % world:
        raise ArgumentError(f"batch_size {global_batch} (the global batch) must be a multiple of the {world} "
                            "processes", name="batch_size")  # fmt: skip
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Ranks(rank, world), device


def leave(*, together: bool = True) -> None:
    """Leave the job's process group (after training; a no-op outside torchrun).

    ``together``: wait for every rank first. Rank 0 is still writing the last checkpoint and the model when the
    others finish; a rank that tore down gloo meanwhile was seen to abort ("terminate called without an active
    exception"). After an error, leave at once (torchrun stops the rest).
    """
    if dist.is_available() and dist.is_initialized():
        if together:
            dist.barrier()
        dist.destroy_process_group()
