"""Diagnostics: gradient checking, gradient health, learning curves, FLOPs and memory."""

from nnlab.diagnostics.curves import Diagnosis, diagnose
from nnlab.diagnostics.gradcheck import GradientCheckResult, gradient_check
from nnlab.diagnostics.health import Finding, GradientNormRecorder, diagnose_gradients
from nnlab.diagnostics.memory import (
    MemoryEstimate,
    flops_per_sample,
    memory_budget,
    memory_estimate,
)

__all__ = [
    "Diagnosis",
    "Finding",
    "GradientCheckResult",
    "GradientNormRecorder",
    "MemoryEstimate",
    "diagnose",
    "diagnose_gradients",
    "flops_per_sample",
    "gradient_check",
    "memory_budget",
    "memory_estimate",
]
