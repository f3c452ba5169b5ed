"""The training step's fast paths, one concept per module, each with the measurement
that justifies it (docs/performance.md maps them all).

- `param_store`: the flat parameter store (`ParamStore`, `packed`): every trainable
  weight in one aligned array `W`, every gradient in `dW`.
- `blocked_update`: an optimizer's update rule applied in cache-sized blocks
  (`update_in_blocks`, `BLOCK_BYTES`), with the backup copy and the subnormal flush.
- `work_buffer`: the rule's reused, aligned work array (`WorkBuffer`).
- `denormals`: subnormal flushing of the slots (`flush_denormals`, `FLUSH_EVERY`).
- `weight_backup`: the divergence guard's backup of the weights (`WeightBackup`).
- `fused_loss`: the fused output + loss path (`fused_output_loss`, `unit_rows`).
- `threads`: the thread policy (NumPy's BLAS threads for the GEMMs, one helper thread for
  the image models' memory-bound loops: `for_blocks`, `quiet_blas_workers`).
- `step_plan`: a chain of Dense layers run from kept arrays (`StepPlan`), no graph walk.
- `pool_activation`: a ReLU applied after the max pool that follows it (`moves_past_pool`).

The array primitives the layers share (`gemm`, `aligned_empty`, `ALIGN`) stay in
`nnlab.backend`, the array seam: layers call them in their forward and backward.

Example:
    >>> import numpy as np
    >>> from nnlab.step import WorkBuffer
    >>> WorkBuffer().like(np.zeros(3)).shape
    (3,)
"""

from nnlab.step.blocked_update import BLOCK_BYTES, update_in_blocks
from nnlab.step.denormals import FLUSH_EVERY, flush_denormals, flush_due
from nnlab.step.fused_loss import fused_output_loss, unit_rows
from nnlab.step.param_store import ParamStore, packed
from nnlab.step.step_plan import StepPlan
from nnlab.step.threads import (
    BLAS_THREAD_VARIABLES,
    STEP_THREADS,
    blas_thread_settings,
    blas_threads,
    for_blocks,
    quiet_blas_workers,
)
from nnlab.step.weight_backup import WeightBackup
from nnlab.step.work_buffer import WorkBuffer

__all__ = [
    "BLAS_THREAD_VARIABLES",
    "BLOCK_BYTES",
    "FLUSH_EVERY",
    "ParamStore",
    "STEP_THREADS",
    "StepPlan",
    "WeightBackup",
    "WorkBuffer",
    "blas_thread_settings",
    "blas_threads",
    "flush_denormals",
    "flush_due",
    "for_blocks",
    "fused_output_loss",
    "packed",
    "quiet_blas_workers",
    "unit_rows",
    "update_in_blocks",
]
