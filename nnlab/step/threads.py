"""The thread policy of a training step: NumPy's BLAS threads, and none of nnlab's own.

A step runs in the caller's thread. The only parallel work is inside BLAS (the GEMMs
of Dense and the convolutions), with as many threads as NumPy's BLAS library was
given, which is set from outside, before NumPy is imported, by the usual environment
variables (`OPENBLAS_NUM_THREADS`, `OMP_NUM_THREADS`, `MKL_NUM_THREADS`). nnlab never
changes that number and starts no thread pool of its own; `PyDataset(workers=...)` is
accepted and read in the calling thread (`nnlab.data_adapters`).

Measurements that decided it (docs/performance.md, "Tried and dropped"):

- Splitting large optimizer steps over threads (commit 38e488a) was removed in f0dae06:
  wide-regression measured 4.08-4.26 ms/step with it and 4.04-4.08 without.
- Running the convolutions' and max pooling's image blocks on two Python threads, each
  with one BLAS thread, instead of one thread calling 2-thread BLAS: same bits, but two
  2-epoch mnist-cnn fits took 4.91 and 5.17 s with the threads, 4.38 and 4.71 s
  without (2026-12-01).
"""

from __future__ import annotations

import os

__all__ = ["BLAS_THREAD_VARIABLES", "STEP_THREADS", "blas_thread_settings"]

#: Python threads a training step runs on: the caller's, and no other.
STEP_THREADS = 1

#: The environment variables that set the BLAS thread count, read when NumPy loads.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def blas_thread_settings() -> dict[str, str]:
    """The BLAS thread variables set in this process's environment (name -> value);
    an empty dict means the BLAS library chose its own default (usually one thread
    per core).

    Example:
        >>> import os
        >>> settings = blas_thread_settings()
        >>> all(os.environ[name] == value for name, value in settings.items())
        True
    """
    return {name: os.environ[name] for name in BLAS_THREAD_VARIABLES if name in os.environ}
