"""L-BFGS with a fixed step and no line search, as Johnson's neural-style runs it for Gatys.

The iterates are those of ``torch.optim.LBFGS(lr=…, history_size=…, max_iter=n, max_eval=n + 1,
tolerance_grad=0, tolerance_change=0)`` to float32 rounding (a test holds them to it). It is
written out because creating any ``torch.optim`` optimizer imports ``torch._dynamo`` on first use,
1.1 s of a 7 s stylization at 512 px; because the optimize method used to pass ``max_eval=n``, which
spends the n-th encoder pass on a gradient that no update uses (here n passes make n updates); and
because torch's two-loop recursion walks the history one vector at a time.

The direction ``−H·g`` is the two-loop recursion's, computed from dot products: every product it
needs is a product of two stored vectors (taken as each pair arrives) or of a stored vector with
the new gradient, and the two loops become two small triangular solves. So each step reads the
history twice, in two matrix products, where the two-loop makes ten passes over it (a dot and an
axpy per pair and loop, the running vector read and written each time).
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
    history = _History(max(1, min(history_size, steps - 1)), pixels.numel(), pixels)
    # Rows: the candidate pair (y = gradient change, s = step taken), then the gradient.
    probe = pixels.new_empty((3, pixels.numel()))
    difference, move, gradient = probe
    previous_gradient, direction = (pixels.new_empty(pixels.numel()) for _ in range(2))
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
            torch.sub(gradient, previous_gradient, out=difference)
            torch.mul(direction, step_size, out=move)
            history.offer(probe)
            history.direction(gradient, out=direction)
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


class _History:
    """The last ``capacity`` correction pairs (y, s), and the dot products between their vectors.

    Pairs fill slots 0, 1, … and then replace the oldest, so the live slots are always the first
    ``len(order)`` and one matrix product covers them all.
    """

    def __init__(self, capacity: int, size: int, like: torch.Tensor) -> None:
        self.pairs = like.new_empty((capacity, 2, size))
        self.order: list[int] = []  # live slots, oldest first
        # By slot, in float64: yy[a, b] = y_a·y_b, sy[a, b] = s_a·y_b; per slot (y·g, s·g) for the latest gradient.
        self.yy = torch.zeros((capacity, capacity), dtype=torch.float64)
        self.sy = torch.zeros((capacity, capacity), dtype=torch.float64)
        self.gradient_products = torch.zeros((capacity, 2), dtype=torch.float64)
        self.hessian_scale = 1.0

    def offer(self, probe: torch.Tensor) -> None:
        """Keep the candidate pair ``probe[:2]`` if its curvature is positive; take ``probe[2]``'s products."""
        difference, move, gradient = probe
        curvature = float(difference.dot(move))
        count = len(self.order)
        if curvature > 1e-10:
            slot = self.order.pop(0) if count == self.pairs.shape[0] else count
            self.order.append(slot)
            count = len(self.order)
            self.pairs[slot].copy_(probe[:2])
            # Rows y, s, g of the probe against every live slot's (y, s): one pass over the history.
            products = torch.mm(probe, self._block().t()).double().view(3, count, 2)
            self.yy[slot, :count] = self.yy[:count, slot] = products[0, :, 0]
            self.sy[:count, slot] = products[0, :, 1]
            self.sy[slot, :count] = products[1, :, 0]
            self.gradient_products[:count] = products[2]
            self.hessian_scale = curvature / float(self.yy[slot, slot])  # y·s / y·y of the newest pair
        elif count:
            self.gradient_products[:count] = torch.mv(self._block(), gradient).double().view(count, 2)

    def direction(self, gradient: torch.Tensor, *, out: torch.Tensor) -> None:
        """``−H·g``: the two-loop recursion as two triangular solves on dot products, then one pass over the history.

        First loop (newest first): ``α_i = ρ_i s_i·q_i`` with ``q_i = −g − Σ_{j>i} α_j y_j``, i.e.
        ``(s_i·y_i) α_i + Σ_{j>i} (s_i·y_j) α_j = −s_i·g``. Second loop (oldest first):
        ``c_i = α_i − ρ_i y_i·r_i`` with ``r_i = γ q + Σ_{j<i} c_j s_j``, i.e.
        ``(s_i·y_i) c_i + Σ_{j<i} (s_j·y_i) c_j = (s_i·y_i) α_i − γ y_i·q``. The result is
        ``γ q + Σ c_i s_i = −γ g + Σ (−γ α_i y_i + c_i s_i)``.
        """
        count, scale = len(self.order), self.hessian_scale
        if not count:
            torch.mul(gradient, -scale, out=out)
            return
        live = torch.tensor(self.order)
        sy, yy = self.sy[live][:, live], self.yy[live][:, live]
        gradient_y, gradient_s = self.gradient_products[live].unbind(1)
        alphas = torch.linalg.solve_triangular(sy.triu(), -gradient_s[:, None], upper=True)[:, 0]
        y_dot_q = -gradient_y - yy @ alphas
        right = sy.diagonal() * alphas - scale * y_dot_q
        steps = torch.linalg.solve_triangular(sy.t().tril(), right[:, None], upper=False)[:, 0]
        coefficients = torch.empty((count, 2), dtype=torch.float64)
        coefficients[live] = torch.stack((-scale * alphas, steps), 1)
        weights = coefficients.reshape(-1).to(gradient.dtype)
        torch.addmv(gradient, self._block().t(), weights, beta=-scale, out=out)

    def _block(self) -> torch.Tensor:
        return self.pairs[: len(self.order)].view(2 * len(self.order), -1)
