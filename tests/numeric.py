"""Central differences for the tests: one helper instead of a copy per test file."""

from __future__ import annotations

import numpy as np

from nnlab.diagnostics.gradcheck import numeric_gradient


def num_grad(f, A: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar f(A) with respect to every entry of A."""
    return numeric_gradient(lambda: f(A), A, eps)


def rel_err(a, b) -> float:
    """||a - b|| / (||a|| + ||b||): about 1e-9 for a right gradient, the mistake's size else."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))
