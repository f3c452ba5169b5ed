"""The engine's low-level helpers in nnlab.backend."""

from __future__ import annotations

import numpy as np
import pytest

from nnlab.backend import SMALL_GEMM, gemm


@pytest.mark.parametrize("shape", [(32, 3, 16), (16, 16, 16), (32, 64, 128), (64, 128, 64)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_equals_matmul_bit_for_bit_on_both_sides_of_the_threshold(shape, dtype):
    n, k, u = shape
    rng = np.random.default_rng(1)
    A = rng.normal(size=(n, k)).astype(dtype)
    B = rng.normal(size=(k, u)).astype(dtype)
    dZ = rng.normal(size=(n, u)).astype(dtype)
    assert (n * k * u <= SMALL_GEMM) == (n < 64)  # both sides are covered
    np.testing.assert_array_equal(gemm(A, B), A @ B)
    np.testing.assert_array_equal(gemm(dZ, B.T), dZ @ B.T)  # a transposed operand
    out = np.empty((k, u), dtype=dtype)
    assert gemm(A.T, dZ, out=out) is out
    np.testing.assert_array_equal(out, A.T @ dZ)


def test_gemm_casts_into_an_out_of_another_dtype_like_matmul():
    A = np.arange(6.0).reshape(2, 3)  # float64
    B = np.ones((3, 2), dtype=np.float32)
    out = np.empty((2, 2), dtype=np.float32)
    gemm(A, B, out=out)
    np.testing.assert_array_equal(out, np.array([[3.0, 3.0], [12.0, 12.0]], dtype=np.float32))
