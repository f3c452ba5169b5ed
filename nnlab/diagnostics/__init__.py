"""Diagnostics: gradient checking, gradient health, learning curves, FLOPs and memory,
and explain (every number of a training step)."""

from nnlab.diagnostics.curves import Diagnosis, diagnose
from nnlab.diagnostics.explain import Trace, explain
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
    "Trace",
    "diagnose",
    "diagnose_gradients",
    "explain",
    "flops_per_sample",
    "gradient_check",
    "memory_budget",
    "memory_estimate",
]
