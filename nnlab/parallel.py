"""The engine's thread policy for convolutional layers: blocks of images over threads.

NumPy runs a GEMM on as many threads as its BLAS (OpenBLAS) is given, but everything
around it (im2col copies, col2im adds, pooling) on one. For a convolution most of the
step is that other work, and its GEMMs are many and mid-sized, where BLAS threads wake,
split and spin for little gain. So a convolution or pooling layer splits its batch into
blocks of images (`nnlab.layers.patches.image_blocks`) and `run_blocks` hands them to as
many threads as BLAS had, each running its GEMMs on one BLAS thread; BLAS gets its
threads back afterwards. NumPy releases the GIL inside its loops and BLAS calls, so the
threads run in parallel.

The results are the same bits whatever the number of threads: every block writes its own
rows and images, and each row of a GEMM does not depend on how the rows are split.
Reductions over the batch (a kernel's gradient P^T dZ, a bias's sum) stay one call, made
outside the blocks with all BLAS threads.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_workers = 0
_blas = None  # threadpoolctl's controller of NumPy's BLAS, found on first use
_blas_found = False
_active = 0  # regions running now (several callers, e.g. two playground tabs)
_saved_threads = 1


def _blas_controller():
    global _blas, _blas_found
    if not _blas_found:
        try:
            from threadpoolctl import ThreadpoolController

            found = ThreadpoolController().select(user_api="blas").lib_controllers
            numpys = [c for c in found if _in_numpy_wheel(c.filepath)]
            # SciPy brings its own OpenBLAS too: the engine's GEMMs run on NumPy's
            mine = numpys if len(numpys) == 1 else found
            _blas = _Blas(mine[0]) if len(mine) == 1 else None  # unknown: leave BLAS alone
        except Exception:  # noqa: BLE001 - threadpoolctl missing or unable to load
            _blas = None
        _blas_found = True
    return _blas


def _in_numpy_wheel(filepath) -> bool:
    """Whether a library sits in NumPy's wheel (site-packages/numpy.libs)."""
    import numpy

    libs = os.path.join(os.path.dirname(os.path.dirname(numpy.__file__)), "numpy.libs")
    return bool(filepath) and os.path.dirname(os.path.abspath(filepath)) == libs


class _Blas:
    """Get and set the thread count of NumPy's BLAS (located by threadpoolctl).

    For OpenBLAS the library's own process-wide functions are called: threadpoolctl's
    `set_num_threads` obeys only the first Python thread that used it and silently does
    nothing in the others (a playground or tuning worker thread would leave BLAS on one
    thread). Other BLAS libraries keep per-thread limits and go through threadpoolctl.
    """

    def __init__(self, controller):
        self.controller = controller
        self._get = self._set = None
        if controller.internal_api == "openblas":
            for prefix, suffix in itertools.product(("", "scipy_"), ("", "64_", "_64")):
                get = getattr(controller.dynlib, f"{prefix}openblas_get_num_threads{suffix}", None)
                put = getattr(controller.dynlib, f"{prefix}openblas_set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    get.restype, put.argtypes = ctypes.c_int, (ctypes.c_int,)
                    self._get, self._set = get, put
                    break

    @property
    def num_threads(self) -> int:
        return int(self._get()) if self._get else int(self.controller.num_threads or 1)

    def set_num_threads(self, n: int) -> None:
        if self._set:
            self._set(n)
        else:
            self.controller.set_num_threads(n)


def blas_library() -> str | None:
    """The file of the BLAS whose threads `run_blocks` manages (None: none found)."""
    blas = _blas_controller()
    return blas.controller.filepath if blas is not None else None


def threads() -> int:
    """How many threads `run_blocks` uses: the number BLAS is allowed now (at least 1)."""
    blas = _blas_controller()
    return max(1, blas.num_threads) if blas is not None else 1


def _enter(blas, workers: int) -> ThreadPoolExecutor:
    """One BLAS thread while any region runs; the pool of helper threads."""
    global _active, _saved_threads, _pool, _pool_workers
    with _lock:
        if _active == 0:
            _saved_threads = blas.num_threads
            blas.set_num_threads(1)
        _active += 1
        if _pool is None or _pool_workers < workers - 1:
            _pool = ThreadPoolExecutor(workers - 1, thread_name_prefix="nnlab-blocks")
            _pool_workers = workers - 1
        return _pool


def _leave(blas) -> None:
    global _active
    with _lock:
        _active -= 1
        if _active == 0:
            blas.set_num_threads(_saved_threads)


def run_blocks(fn, blocks) -> None:
    """Call fn(start, stop) for every (start, stop) in blocks, spread over `threads()`.

    The blocks are split into contiguous groups, one per thread; the caller's thread runs
    the first group. fn must touch only its own block's rows of any shared output.
    """
    blocks = list(blocks)
    workers = min(threads(), len(blocks)) if len(blocks) > 1 else 1
    if workers < 2:
        for start, stop in blocks:
            fn(start, stop)
        return
    size = len(blocks)
    groups = [blocks[i * size // workers : (i + 1) * size // workers] for i in range(workers)]

    def run(group):
        for start, stop in group:
            fn(start, stop)

    blas = _blas_controller()
    pool = _enter(blas, workers)
    try:
        pending = [pool.submit(run, group) for group in groups[1:]]
        try:
            run(groups[0])
        finally:
            errors = [job.exception() for job in pending]  # waits for every group
    finally:
        _leave(blas)
    for error in errors:
        if error is not None:
            raise error
