"""L-BFGS with a fixed step and no line search, as Johnson's neural-style runs it for Gatys.

The iterates are those of ``torch.optim.LBFGS(lr=…, history_size=…, max_iter=n, max_eval=n + 1,
tolerance_grad=0, tolerance_change=0)`` (a test holds them equal). It is written out because
creating any ``torch.optim`` optimizer imports ``torch._dynamo`` on first use, 1.1 s of a 7 s
stylization at 512 px; and because the optimize method used to pass ``max_eval=n``, which spends
the n-th encoder pass on a gradient that no update uses. Here n passes make n updates.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["minimize_lbfgs"]


@torch.no_grad()
def minimize_lbfgs(evaluate: Callable[[], object], pixels: torch.Tensor, steps: int, *, learning_rate: float = 1.0,
                   history_size: int = 50) -> None:  # fmt: skip
    """Update ``pixels`` in place with ``steps`` L-BFGS iterations of one evaluation each.

    Every vector lives in buffers allocated once (the history as one block, of at most ``steps − 1``
    pairs): allocating two new image-sized vectors per step fragmented the heap by ~350 MB at 1024 px.

    Args:
        evaluate: computes the loss at the current ``pixels`` and leaves its gradient in
            ``pixels.grad`` (called with gradients enabled).
        pixels: the leaf tensor being optimized.
        steps: evaluations, and updates.
        learning_rate: the fixed step (the first one is scaled by ``min(1, 1/‖g‖₁)``, as in torch).
        history_size: correction pairs kept.
    """
    if steps <= 0:
        return
    capacity = max(1, min(history_size, steps - 1))
    # Pairs (y = gradient change, s = step taken); one spare slot receives each candidate pair.
    pairs = pixels.new_empty((capacity + 1, 2, pixels.numel()))
    free = list(range(capacity + 1))
    spare, live = free.pop(), []  # slot indices, oldest first
    inverse_curvatures: list[torch.Tensor] = []  # 1 / (y·s) per live slot
    gradient, previous_gradient, direction = (pixels.new_empty(pixels.numel()) for _ in range(3))
    hessian_scale: torch.Tensor | float = 1.0
    step_size: torch.Tensor | float = 0.0
    for iteration in range(steps):
        with torch.enable_grad():
            evaluate()
        assert pixels.grad is not None
        gradient.copy_(pixels.grad.reshape(-1))
        if gradient.abs().max() <= 0:
            return  # exactly stationary: torch stops here too
        if iteration == 0:
            torch.neg(gradient, out=direction)
        else:
            difference, move = pairs[spare]
            torch.sub(gradient, previous_gradient, out=difference)
            torch.mul(direction, step_size, out=move)
            curvature = difference.dot(move)
            if curvature > 1e-10:
                live.append(spare)
                inverse_curvatures.append(1.0 / curvature)
                if len(live) > capacity:
                    spare = live.pop(0)
                    inverse_curvatures.pop(0)
                else:
                    spare = free.pop()
                hessian_scale = curvature / difference.dot(difference)
            _two_loop(gradient, [pairs[slot] for slot in live], inverse_curvatures, hessian_scale, out=direction)
        previous_gradient.copy_(gradient)
        if iteration == 0:  # torch's first step: min(1, 1/‖g‖₁)·lr, in float32 as there
            first = 1.0 / gradient.abs().sum()
            step_size = (first if bool(first < 1.0) else 1.0) * learning_rate
        else:
            step_size = learning_rate
        if gradient.dot(direction) > 0:
            return  # not a descent direction (torch: "directional derivative is below tolerance")
        pixels.add_(direction.view_as(pixels), alpha=float(step_size))
        if direction.abs().max() * step_size <= 0:
            return  # no progress possible (torch: "lack of progress")


def _two_loop(gradient: torch.Tensor, pairs: list[torch.Tensor], inverse_curvatures: list[torch.Tensor],
              hessian_scale: torch.Tensor | float, *, out: torch.Tensor) -> None:  # fmt: skip
    """The L-BFGS search direction ``−H·g`` from the stored (y, s) pairs, oldest first, into ``out``."""
    alphas: list[torch.Tensor] = [torch.zeros(())] * len(pairs)
    q = gradient.neg()
    for i in range(len(pairs) - 1, -1, -1):
        difference, move = pairs[i]
        alphas[i] = move.dot(q) * inverse_curvatures[i]
        q.add_(difference, alpha=-float(alphas[i]))
    torch.mul(q, hessian_scale, out=out)
    for i, (difference, move) in enumerate(pairs):
        beta = difference.dot(out) * inverse_curvatures[i]
        out.add_(move, alpha=float(alphas[i] - beta))
