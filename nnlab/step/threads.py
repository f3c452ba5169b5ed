"""The thread policy of a training step: NumPy's BLAS threads for the GEMMs, and one
helper thread for the convolutions' and max pooling's memory-bound loops.

The GEMMs run in the caller's thread on as many BLAS threads as NumPy's BLAS library
was given, set from outside, before NumPy is imported, by the usual environment
variables (`OPENBLAS_NUM_THREADS`, `OMP_NUM_THREADS`, `MKL_NUM_THREADS`); nnlab never
changes that number. The work between the GEMMs of an image model (im2col, col2im, max
pooling's maxima and gradient shares) is NumPy elementwise code, which runs on one core.
`for_blocks` splits such a loop over image blocks between the caller and one helper
thread (NumPy releases the GIL inside its loops). The blocks are independent, so the
result is the same bits on one thread or two. No BLAS call is made on the helper.

OpenBLAS's worker threads spin for about 2**28 cycles (~0.1 s) after each GEMM before
they sleep, so in a training step the second core is never free: a helper thread only
waits for it. `quiet_blas_workers` shortens that spin to about 2**20 cycles (~0.4 ms,
`OPENBLAS_THREAD_TIMEOUT`), once, when the helper first starts; a user's own setting
of that variable is kept.

Measurements (docs/performance.md, "Thread policy", 2026-12-02, 2 cores):

- After one 2-thread GEMM, a busy main thread's process used 1.43 cores over 0.3 s with
  OpenBLAS's default spin and 1.00 with it shortened.
- mnist-cnn in one process, the helper on and off (workers quiet in both), 8-step fits
  alternating, four runs: medians 40.75 -> 36.40, 43.85 -> 42.35, 47.91 -> 40.32 and
  36.04 -> 36.10 ms per step (helper faster in 25, 21 and 22 of 30 pairs, 9 of 15).
- Earlier tries without the shortened spin bought nothing: the optimizer's update split
  over threads (commit 38e488a, removed in f0dae06), and the image blocks on two Python
  threads each with one BLAS thread (slower: 4.91 and 5.17 s against 4.38 and 4.71 s for
  two 2-epoch mnist-cnn fits, 2026-12-01).
"""

from __future__ import annotations

import os
import threading

__all__ = [
    "BLAS_THREAD_VARIABLES",
    "SPLIT_MIN_BLOCKS",
    "STEP_THREADS",
    "blas_thread_settings",
    "blas_threads",
    "for_blocks",
    "quiet_blas_workers",
]

#: Python threads a training step runs its memory-bound loops on: the caller's and one
#: helper (`for_blocks`).
STEP_THREADS = 2

#: `for_blocks` runs serially below this many blocks (small images: a hand-off to the
#: helper costs more than it saves).
SPLIT_MIN_BLOCKS = 2

#: OpenBLAS's worker spin before it sleeps, as OPENBLAS_THREAD_TIMEOUT: 2**20 cycles.
BLAS_SPIN_EXPONENT = 20

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


_helper = None  # a concurrent.futures.ThreadPoolExecutor, imported when first needed
_helper_pid: int | None = None
_helper_lock = threading.Lock()
_on_helper = threading.local()  # .active: True on the helper thread


def _new_lock_in_child() -> None:
    """After a fork: a fresh `_helper_lock`. The child's copy may be held by a thread
    that was creating the helper when another forked, and that the child does not have."""
    global _helper_lock
    _helper_lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_new_lock_in_child)


def _helper_thread():
    """The helper thread, started on first use (and again in a forked child, which
    inherits the executor but not its thread)."""
    from concurrent.futures import ThreadPoolExecutor

    global _helper, _helper_pid
    with _helper_lock:
        if _helper is None or _helper_pid != os.getpid():
            quiet_blas_workers()
            _helper = ThreadPoolExecutor(
                max_workers=STEP_THREADS - 1,
                thread_name_prefix="nnlab-step",
                initializer=setattr,
                initargs=(_on_helper, "active", True),
            )
            _helper_pid = os.getpid()
        return _helper


def for_blocks(blocks, work) -> None:
    """work(start, stop) for every (start, stop) in `blocks`, shared between the caller's
    thread and the helper thread, each taking the next block as it finishes one; returns
    when all are done (an exception in either is raised here). With fewer than SPLIT_MIN_BLOCKS
    blocks, when called from the helper itself, while BLAS is held to one thread (a
    threadpoolctl limit, OPENBLAS_NUM_THREADS=1: the process was given one core), or
    once the interpreter is shutting down, all on the caller's thread. `work` must write
    only its own blocks' part of shared arrays, and must not call BLAS.

    Example:
        >>> out = [0] * 4
        >>> def work(start, stop):
        ...     for i in range(start, stop):
        ...         out[i] = i * i
        >>> for_blocks([(0, 2), (2, 4)], work)
        >>> out
        [0, 1, 4, 9]
    """
    blocks = list(blocks)
    alone = len(blocks) < SPLIT_MIN_BLOCKS or getattr(_on_helper, "active", False)
    if alone or blas_threads() < STEP_THREADS:
        for start, stop in blocks:
            work(start, stop)
        return
    # each thread takes the next block not yet taken (next() on a shared iterator is
    # atomic under the GIL), so the one that runs faster takes more of them
    taken = iter(blocks)

    def run():
        for start, stop in taken:
            work(start, stop)

    other = _submit(run)
    try:
        run()
    finally:
        if other is not None:
            other.result()


def _submit(run):
    """run() on the helper thread: its future, or None where no helper can be had. Once
    the main thread has returned, the interpreter is shutting down and no executor takes
    work (nor can concurrent.futures first be imported), yet a thread it did not wait for
    may still be fitting: its blocks then all run on that thread."""
    try:
        return _helper_thread().submit(run)
    except RuntimeError:  # "cannot schedule new futures after interpreter shutdown"
        return None


def _openblas():
    """NumPy's bundled OpenBLAS (numpy.libs/libscipy_openblas*), with the two entry
    points `quiet_blas_workers` needs, or None."""
    import ctypes
    import glob

    import numpy as np

    folder = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(folder, "libscipy_openblas*.so*"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        if hasattr(lib, "openblas_read_env") and hasattr(lib, "blas_thread_shutdown_"):
            return lib
    return None


_thread_count = None  # OpenBLAS's get_num_threads (ctypes), or False for another BLAS
_quieted = False  # quiet_blas_workers has acted in this process


def blas_threads() -> int:
    """The threads NumPy's OpenBLAS uses now (a threadpoolctl limit included), read in
    about a microsecond; for another BLAS, the number of CPUs.

    Example:
        >>> blas_threads() >= 1
        True
    """
    global _thread_count
    if _thread_count is None:
        lib = _openblas()
        names = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads")
        found = [getattr(lib, name) for name in names if lib is not None and hasattr(lib, name)]
        _thread_count = found[0] if found else False
    return int(_thread_count()) if _thread_count else (os.cpu_count() or 1)


def quiet_blas_workers() -> bool:
    """Make NumPy's OpenBLAS workers sleep after about 2**BLAS_SPIN_EXPONENT cycles
    without work instead of 2**28, so that a core they leave is free for the helper.
    Returns whether it did.

    OpenBLAS reads OPENBLAS_THREAD_TIMEOUT when its threads start, so this sets the
    variable, has OpenBLAS read its environment again and stops its threads; the next
    multi-threaded GEMM starts them again, with the same thread count. Stopping them is
    safe only while no other thread can be inside a BLAS call, so it is done only when
    the caller is the process's one Python thread (a script, the benchmark's workers;
    not a Jupyter kernel or a threaded Dask worker, where setting OPENBLAS_THREAD_TIMEOUT
    before NumPy is imported does the same). A user's own setting of the variable is
    kept, and another BLAS library is left alone. The variable is set only while OpenBLAS
    reads it, so processes started later (subprocess, multiprocessing's "spawn") do not
    inherit the short spin.
    """
    global _quieted
    if _quieted or "OPENBLAS_THREAD_TIMEOUT" in os.environ or threading.active_count() > 1:
        return False
    lib = _openblas()
    if lib is None:
        return False
    # set only while OpenBLAS reads it: processes this one starts keep their own default
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = str(BLAS_SPIN_EXPONENT)
    try:
        lib.openblas_read_env()
    finally:
        del os.environ["OPENBLAS_THREAD_TIMEOUT"]
    lib.blas_thread_shutdown_()
    _quieted = True  # (a forked child inherits OpenBLAS's setting and this flag)
    return True
