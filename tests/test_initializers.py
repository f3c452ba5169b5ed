"""Initializers: shapes, dtypes, exact constants, distributions, seeding, get().

Limits and variances are written out from KERAS-API.md section 7:
glorot L = sqrt(6/(fan_in+fan_out)), he L = sqrt(6/fan_in), lecun L = sqrt(3/fan_in);
the truncated normals use sigma = sqrt(scale/fan) / 0.87962566103423978, truncated at
2 sigma, so the variance is scale/fan.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnlab
from nnlab import initializers

SHAPE = (400, 600)  # fan_in = 400, fan_out = 600
TRUNC = 0.87962566103423978  # stddev of N(0, 1) truncated to [-2, 2]

ALL_NAMES = [
    "zeros", "ones", "constant", "random_normal", "random_uniform", "truncated_normal",
    "variance_scaling", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
    "lecun_uniform", "lecun_normal",
]


# --------------------------------------------------------------------------------------
# Shapes and dtypes
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_NAMES)
@pytest.mark.parametrize("shape", [(3, 5), (7,), (2, 3, 4, 5)])
def test_shape_and_default_dtype_float32(name, shape):
    W = initializers.get(name)(shape)
    assert W.shape == shape
    assert W.dtype == np.float32
    assert np.all(np.isfinite(W))


@pytest.mark.parametrize("name", ALL_NAMES)
def test_dtype_float64_when_asked(name):
    assert initializers.get(name)((3, 4), dtype="float64").dtype == np.float64
    assert initializers.get(name)((3, 4), dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("name", ALL_NAMES)
def test_dtype_follows_floatx(name, float64):
    assert initializers.get(name)((3, 4)).dtype == np.float64


def test_integer_dtype_rejected():
    with pytest.raises(ValueError):
        initializers.Zeros()((2, 2), dtype="int32")


def test_zeros_ones_constant_exact():
    np.testing.assert_array_equal(initializers.Zeros()((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(initializers.Ones()((2, 3)), np.ones((2, 3)))
    np.testing.assert_array_equal(initializers.Constant(0.5)((2, 3)), np.full((2, 3), 0.5))
    np.testing.assert_array_equal(initializers.Constant(value=-3.0)((4,)), [-3.0] * 4)
    # Keras default value 0.0
    np.testing.assert_array_equal(initializers.Constant()((2,)), [0.0, 0.0])
    np.testing.assert_array_equal(
        initializers.Constant(0.1)((2,), dtype="float64"), np.array([0.1, 0.1])
    )


# --------------------------------------------------------------------------------------
# Distributions
# --------------------------------------------------------------------------------------

FAN_IN, FAN_OUT = 400.0, 600.0


@pytest.mark.parametrize(
    "name,limit",
    [
        # glorot: sqrt(6 / (400 + 600)) = sqrt(0.006) = 0.0774597
        ("glorot_uniform", math.sqrt(6.0 / (FAN_IN + FAN_OUT))),
        # he: sqrt(6 / 400) = 0.1224745
        ("he_uniform", math.sqrt(6.0 / FAN_IN)),
        # lecun: sqrt(3 / 400) = 0.0866025
        ("lecun_uniform", math.sqrt(3.0 / FAN_IN)),
    ],
)
def test_uniform_variants(name, limit):
    W = initializers.get(name)(SHAPE, dtype="float64")
    assert np.abs(W).max() <= limit
    assert np.abs(W).max() > 0.999 * limit  # the bound is reached, so it is the right one
    # U(-L, L) has mean 0 and variance L^2 / 3
    assert abs(W.mean()) < 0.01 * limit
    assert W.var() == pytest.approx(limit**2 / 3, rel=0.03)


def test_glorot_uniform_variance():
    W = initializers.GlorotUniform(seed=1)(SHAPE, dtype="float64")
    # variance 2 / (fan_in + fan_out) = 2 / 1000 = 0.002
    assert W.var() == pytest.approx(0.002, rel=0.03)
    assert np.abs(W).max() <= math.sqrt(0.006)


@pytest.mark.parametrize(
    "name,variance",
    [
        ("glorot_normal", 2.0 / (FAN_IN + FAN_OUT)),  # 0.002
        ("he_normal", 2.0 / FAN_IN),  # 0.005
        ("lecun_normal", 1.0 / FAN_IN),  # 0.0025
    ],
)
def test_truncated_normal_variants(name, variance):
    W = initializers.get(name)(SHAPE, dtype="float64")
    sigma = math.sqrt(variance) / TRUNC  # stddev of the underlying normal
    assert np.abs(W).max() <= 2 * sigma
    # an untruncated normal, or one truncated at 2 sqrt(variance), would fail one of these
    assert np.abs(W).max() > 1.95 * sigma
    assert abs(W.mean()) < 0.01 * sigma
    assert W.var() == pytest.approx(variance, rel=0.03)


def test_fans_for_conv_kernels():
    # shape (3, 3, 16, 32): receptive field 9, fan_in = 144, fan_out = 288
    shape = (3, 3, 16, 32)
    W = initializers.GlorotUniform(seed=3)(shape, dtype="float64")
    limit = math.sqrt(6.0 / (144 + 288))  # 0.1178511
    assert limit * 0.99 < np.abs(W).max() <= limit
    W = initializers.HeUniform(seed=3)(shape, dtype="float64")
    limit = math.sqrt(6.0 / 144)  # 0.2041241
    assert limit * 0.99 < np.abs(W).max() <= limit


def test_fans_for_1d_shape():
    # 1-D: fan_in = fan_out = length = 5000 -> glorot L = sqrt(6 / 10000) = 0.0244949
    W = initializers.GlorotUniform(seed=4)((5000,), dtype="float64")
    limit = math.sqrt(6.0 / 10000)
    assert limit * 0.99 < np.abs(W).max() <= limit


def test_random_normal_defaults():
    W = initializers.RandomNormal(seed=5)(SHAPE, dtype="float64")
    # N(0, 0.05^2): mean within ~5 standard errors (0.05/sqrt(240000) = 1e-4)
    assert abs(W.mean()) < 5e-4
    assert W.std() == pytest.approx(0.05, rel=0.03)
    # untruncated: some values beyond 2 stddev (about 4.6% of them)
    assert np.abs(W).max() > 0.1


def test_random_normal_mean_stddev_args():
    W = initializers.RandomNormal(mean=1.0, stddev=0.2, seed=5)(SHAPE, dtype="float64")
    assert W.mean() == pytest.approx(1.0, abs=5e-3)
    assert W.std() == pytest.approx(0.2, rel=0.03)


def test_random_uniform_defaults():
    W = initializers.RandomUniform(seed=6)(SHAPE, dtype="float64")
    assert W.min() >= -0.05 and W.max() <= 0.05
    assert W.min() < -0.0499 and W.max() > 0.0499
    # U(-0.05, 0.05): variance 0.1^2 / 12 = 8.333e-4
    assert W.var() == pytest.approx(0.01 / 12, rel=0.03)


def test_random_uniform_bounds_args():
    W = initializers.RandomUniform(minval=2.0, maxval=3.0, seed=6)((1000,))
    assert W.min() >= 2.0 and W.max() <= 3.0


def test_truncated_normal_keras_semantics():
    # Keras truncated_normal: stddev 0.05, redrawn outside mean +- 2 stddev (no rescaling)
    W = initializers.TruncatedNormal(seed=8)(SHAPE, dtype="float64")
    assert np.abs(W).max() <= 0.1
    assert np.abs(W).max() > 0.0995
    # N(0, 1) truncated to [-2, 2] has stddev 0.8796257, so the result's stddev is
    # 0.05 * 0.8796257 = 0.0439813 (not 0.05)
    assert W.std() == pytest.approx(0.05 * TRUNC, rel=0.03)


def test_variance_scaling_untruncated_and_modes():
    vs = initializers.VarianceScaling(
        scale=2.0, mode="fan_out", distribution="untruncated_normal", seed=9
    )
    W = vs(SHAPE, dtype="float64")
    # variance 2 / fan_out = 2 / 600 = 0.0033333; untruncated, so values beyond 2 sigma exist
    assert W.var() == pytest.approx(2.0 / 600, rel=0.03)
    assert np.abs(W).max() > 2 * math.sqrt(2.0 / 600)
    with pytest.raises(ValueError):
        initializers.VarianceScaling(mode="fan_sideways")
    with pytest.raises(ValueError):
        initializers.VarianceScaling(distribution="normal_ish")
    with pytest.raises(ValueError):
        initializers.VarianceScaling(scale=0.0)


# --------------------------------------------------------------------------------------
# Reproducibility
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in ALL_NAMES if n not in ("zeros", "ones", "constant")])
def test_same_seed_same_array(name):
    cls = type(initializers.get(name))
    a = cls(seed=11)((20, 30))
    b = cls(seed=11)((20, 30))
    c = cls(seed=12)((20, 30))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_calls_continue_the_generator():
    init = initializers.GlorotUniform(seed=11)
    first, second = init((5, 5)), init((5, 5))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(initializers.GlorotUniform(seed=11)((5, 5)), first)


def test_global_seed_makes_unseeded_initializers_reproducible():
    def run():
        nnlab.utils.set_random_seed(7)
        a = initializers.GlorotUniform()  # seed=None: drawn from the global stream
        b = initializers.RandomNormal()
        return a((6, 4)), a((6, 4)), b((6, 4))

    first = run()
    second = run()
    for x, y in zip(first, second):
        np.testing.assert_array_equal(x, y)
    # two unseeded initializers in a row draw different seeds
    assert not np.array_equal(
        initializers.GlorotUniform()((6, 4)), initializers.GlorotUniform()((6, 4))
    )
    # and a different global seed gives a different sequence
    nnlab.utils.set_random_seed(8)
    assert not np.array_equal(initializers.GlorotUniform()((6, 4)), first[0])


# --------------------------------------------------------------------------------------
# get()
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "names,cls",
    [
        (("zeros", "zero", "Zeros"), initializers.Zeros),
        (("ones", "one", "Ones"), initializers.Ones),
        (("constant", "Constant"), initializers.Constant),
        (("random_normal", "normal", "RandomNormal"), initializers.RandomNormal),
        (("random_uniform", "uniform", "RandomUniform"), initializers.RandomUniform),
        (("truncated_normal", "TruncatedNormal"), initializers.TruncatedNormal),
        (("variance_scaling", "VarianceScaling"), initializers.VarianceScaling),
        (("glorot_uniform", "GlorotUniform"), initializers.GlorotUniform),
        (("glorot_normal", "GlorotNormal"), initializers.GlorotNormal),
        (("he_uniform", "HeUniform"), initializers.HeUniform),
        (("he_normal", "HeNormal"), initializers.HeNormal),
        (("lecun_uniform", "LecunUniform"), initializers.LecunUniform),
        (("lecun_normal", "LecunNormal"), initializers.LecunNormal),
    ],
)
def test_get_snake_and_class_names(names, cls):
    for name in names:
        assert type(initializers.get(name)) is cls


def test_get_instance_passthrough():
    inst = initializers.Constant(2.0)
    assert initializers.get(inst) is inst


@pytest.mark.parametrize("name", ["xavier_uniform", "Glorot_Uniform", "kaiming_normal"])
def test_get_unknown_raises(name):
    with pytest.raises(ValueError) as info:
        initializers.get(name)
    assert name in str(info.value)
    assert "'glorot_uniform'" in str(info.value)
