"""Our fixed-step L-BFGS takes torch.optim.LBFGS's iterates, one update per evaluation.

To float32 rounding: ours forms the two-loop recursion from dot products (in float64) where torch
updates a vector pair by pair, so the last digits differ; a wrong product or sign moves them by far more.
"""

from __future__ import annotations

import pytest
import torch

from painterly.methods._lbfgs import minimize_lbfgs


def _problem() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    matrix = torch.randn(30, 30, generator=generator)
    return matrix @ matrix.T + 0.5 * torch.eye(30), torch.randn(30, generator=generator)


def _objective(x: torch.Tensor, matrix: torch.Tensor, vector: torch.Tensor) -> torch.Tensor:
    return 0.5 * x @ matrix @ x - vector @ x + 0.1 * x.pow(4).sum()  # convex, not quadratic


@pytest.mark.parametrize(
    ("steps", "history", "learning_rate"), [(12, 50, 1.0), (25, 4, 1.0), (8, 3, 0.5), (1, 50, 1.0)]
)
def test_same_iterates_as_torch(steps: int, history: int, learning_rate: float) -> None:
    matrix, vector = _problem()
    start = torch.randn(30, generator=torch.Generator().manual_seed(1))
    theirs = start.clone().requires_grad_(True)
    # max_eval = steps + 1: torch then makes `steps` updates from `steps` evaluations, as ours does.
    optimizer = torch.optim.LBFGS([theirs], lr=learning_rate, max_iter=steps, max_eval=steps + 1,
                                  history_size=history, tolerance_grad=0.0, tolerance_change=0.0)  # fmt: skip
    their_evaluations = []

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = _objective(theirs, matrix, vector)
        loss.backward()
        their_evaluations.append(float(loss.detach()))
        return loss

    optimizer.step(closure)
    ours = start.clone().requires_grad_(True)
    our_evaluations = []

    def evaluate() -> None:
        ours.grad = None
        loss = _objective(ours, matrix, vector)
        loss.backward()
        our_evaluations.append(float(loss.detach()))

    minimize_lbfgs(evaluate, ours, steps, learning_rate=learning_rate, history_size=history)
    assert len(our_evaluations) == steps
    scale = abs(their_evaluations[0])  # the objective passes near 0, so tolerances are of its start
    ours_seen, theirs_seen = torch.tensor(our_evaluations), torch.tensor(their_evaluations)
    torch.testing.assert_close(ours_seen, theirs_seen, rtol=0, atol=1e-6 * scale)
    torch.testing.assert_close(ours.detach(), theirs.detach(), rtol=1e-4, atol=1e-5)
    if steps > 1:
        assert our_evaluations[-1] < our_evaluations[0]


def test_zero_steps_and_a_stationary_point() -> None:
    pixels = torch.zeros(5, requires_grad=True)
    calls = []

    def evaluate() -> None:
        calls.append(1)
        pixels.grad = torch.zeros(5)

    minimize_lbfgs(evaluate, pixels, 0)
    assert calls == []
    minimize_lbfgs(evaluate, pixels, 10)
    assert calls == [1]  # a zero gradient ends it at once, as in torch
    assert torch.equal(pixels.detach(), torch.zeros(5))
