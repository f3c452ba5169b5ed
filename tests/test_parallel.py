"""The thread policy for convolutional layers: image blocks over threads, same bits."""

import threading

import numpy as np
import pytest
import scipy.special  # noqa: F401 - SciPy's own OpenBLAS loaded too: NumPy's must be found
from threadpoolctl import threadpool_limits

from nnlab import parallel
from nnlab.layers import Conv2D, MaxPooling2D, patches


def _blas_threads():
    return parallel.threads()


def test_numpys_blas_is_found_beside_scipys():
    assert parallel.blas_library() is not None
    assert "numpy" in parallel.blas_library()


def test_every_block_runs_once_and_blas_threads_come_back():
    seen = []
    lock = threading.Lock()

    def fn(start, stop):
        with lock:
            seen.append((start, stop, threading.current_thread().name))

    blocks = [(i, i + 1) for i in range(7)]
    with threadpool_limits(2, user_api="blas"):
        parallel.run_blocks(fn, blocks)
        assert _blas_threads() == 2
    assert sorted((a, b) for a, b, _ in seen) == blocks
    assert len({name for *_, name in seen}) == 2  # the caller and one helper thread


def test_a_blocks_error_is_raised_and_blas_threads_restored():
    def fn(start, stop):
        if start == 5:
            raise ValueError("block 5 failed")

    with threadpool_limits(2, user_api="blas"):
        with pytest.raises(ValueError, match="block 5"):
            parallel.run_blocks(fn, [(i, i + 1) for i in range(8)])
        assert _blas_threads() == 2


def test_concurrent_callers_leave_blas_threads_as_they_were():
    def fn(start, stop):
        np.ones((200, 200)) @ np.ones((200, 200))

    with threadpool_limits(2, user_api="blas"):
        callers = [
            threading.Thread(target=parallel.run_blocks, args=(fn, [(i, i + 1) for i in range(20)]))
            for _ in range(4)
        ]
        for t in callers:
            t.start()
        for t in callers:
            t.join()
        assert _blas_threads() == 2


def _conv_pool_step(X, dY):
    conv, pool = Conv2D(8, 3, padding="same", activation="relu"), MaxPooling2D(2)
    conv.build(X.shape)
    conv.params["kernel"][...] = np.random.default_rng(1).normal(size=conv.params["kernel"].shape)
    A = pool.forward(conv.forward(X, training=True), training=True)
    dX = conv.backward(pool.backward(dY))
    return A, dX, conv.grads["kernel"].copy(), conv.grads["bias"].copy()


def test_conv_and_pooling_give_the_same_bits_on_one_or_two_threads():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(96, 16, 16, 3))
    dY = rng.normal(size=(96, 8, 8, 8))
    per_image = 16 * 16 * 27 * 8  # one image's patches (float64)
    assert len(patches.image_blocks(96, per_image)) >= 2  # several blocks: really split
    with threadpool_limits(1, user_api="blas"):
        one = _conv_pool_step(X, dY)
    with threadpool_limits(2, user_api="blas"):
        two = _conv_pool_step(X, dY)
    for a, b in zip(one, two):
        assert np.array_equal(a, b)
