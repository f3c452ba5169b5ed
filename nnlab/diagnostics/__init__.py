"""Diagnostics: gradient checking (and, later, training health)."""

from nnlab.diagnostics.gradcheck import GradientCheckResult, gradient_check

__all__ = ["GradientCheckResult", "gradient_check"]
