"""Activations: golden values, derivatives vs central differences, stability, get().

Expected values are written out with `math` from the formulas in KERAS-API.md
section 2, never computed by calling nnlab.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from numeric import num_grad, rel_err

from nnlab import activations

Z_GOLD = [-2.0, -0.5, 0.0, 0.5, 3.0]


def _golden(name, z):
    """The Keras formula for one entry, written independently of nnlab."""
    if name == "linear":
        return z
    if name == "sigmoid":
        return 1.0 / (1.0 + math.exp(-z))
    if name == "tanh":
        return math.tanh(z)
    if name == "relu":
        return max(z, 0.0)
    if name == "leaky_relu":
        return max(z, 0.2 * z)  # Keras's activations.leaky_relu default slope 0.2
    if name == "elu":
        return z if z >= 0 else math.exp(z) - 1.0
    if name == "softplus":
        return math.log(1.0 + math.exp(z))
    if name == "step":
        return 1.0 if z > 0 else 0.0
    raise AssertionError(name)


ELEMENTWISE = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "step"]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_golden_values_elementwise(name):
    Z = np.array(Z_GOLD)
    expected = [_golden(name, z) for z in Z_GOLD]
    # through the class from get(), and through the Keras-style module function
    np.testing.assert_allclose(activations.get(name)(Z), expected, rtol=1e-12, atol=1e-15)
    fn = getattr(activations, name)
    np.testing.assert_allclose(fn(Z), expected, rtol=1e-12, atol=1e-15)


def test_golden_values_spot_checks():
    # a few numbers written out, so a systematic error in _golden would show too
    Z = np.array(Z_GOLD)
    # sigmoid(-2) = 1/(1+e^2) = 0.1192029, sigmoid(0.5) = 0.6224593
    np.testing.assert_allclose(activations.sigmoid(Z)[[0, 3]], [0.1192029, 0.6224593], atol=1e-7)
    # leaky_relu(-2) = -0.4, leaky_relu(-0.5) = -0.1 (slope 0.2)
    np.testing.assert_allclose(activations.leaky_relu(Z)[:2], [-0.4, -0.1], rtol=1e-12)
    # elu(-2) = e^-2 - 1 = -0.8646647
    np.testing.assert_allclose(activations.elu(Z)[0], -0.8646647, atol=1e-7)
    # softplus(0) = log 2 = 0.6931472, softplus(3) = log(1 + e^3) = 3.0485874
    np.testing.assert_allclose(activations.softplus(Z)[[2, 4]], [0.6931472, 3.0485874], atol=1e-7)
    # step: strict threshold, step(0) = 0
    np.testing.assert_array_equal(activations.step(Z), [0.0, 0.0, 0.0, 1.0, 1.0])


def test_leaky_relu_and_elu_parameters():
    Z = np.array([-2.0, 1.0])
    # slope 0.1: [-0.2, 1]
    np.testing.assert_allclose(activations.leaky_relu(Z, negative_slope=0.1), [-0.2, 1.0])
    # alpha 0.5: [0.5 (e^-2 - 1), 1] = [-0.4323324, 1]
    np.testing.assert_allclose(activations.elu(Z, alpha=0.5), [0.5 * math.expm1(-2.0), 1.0])
    assert activations.LeakyReLU().negative_slope == 0.2
    with pytest.raises(ValueError):
        activations.LeakyReLU(negative_slope=-0.1)


def test_softmax_golden():
    Z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [0.0, math.log(3.0), -1e9]])
    # row 0: e^k / (e + e^2 + e^3) = [0.0900306, 0.2447285, 0.6652410]
    d = math.e + math.e**2 + math.e**3
    row0 = [math.e / d, math.e**2 / d, math.e**3 / d]
    # row 1: uniform 1/3 ; row 2: [1, 3, 0] / 4 = [0.25, 0.75, 0]
    expected = [row0, [1 / 3] * 3, [0.25, 0.75, 0.0]]
    np.testing.assert_allclose(activations.softmax(Z), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(activations.get("softmax")(Z), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(row0, [0.0900306, 0.2447285, 0.6652410], atol=1e-7)


def test_softmax_is_over_last_axis():
    Z = np.array([[1.0, 2.0], [3.0, 5.0]])
    # row-wise: [1, e] / (1 + e) and [1, e^2] / (1 + e^2); columns do not sum to 1
    A = activations.softmax(Z)
    np.testing.assert_allclose(A.sum(axis=-1), [1.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(A[:, 0], [1 / (1 + math.e), 1 / (1 + math.e**2)], rtol=1e-12)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "leaky_relu", "elu", "softplus", "step"])
def test_float32_in_float32_out(name):
    Z = np.array(Z_GOLD, dtype=np.float32)
    assert activations.get(name)(Z).dtype == np.float32


# --------------------------------------------------------------------------------------
# Derivatives vs central differences
# --------------------------------------------------------------------------------------






def _z_away_from_kinks(r, shape):
    # |z| in [0.1, 3]: every kink (relu, leaky_relu, elu, step at 0) is at least 0.1 away
    return r.choice([-1.0, 1.0], size=shape) * r.uniform(0.1, 3.0, size=shape)


@pytest.mark.parametrize(
    "act",
    [
        activations.Linear(),
        activations.Sigmoid(),
        activations.Tanh(),
        activations.ReLU(),
        activations.LeakyReLU(),
        activations.LeakyReLU(negative_slope=0.05),
        activations.ELU(),
        activations.ELU(alpha=0.7),
        activations.Softplus(),
        activations.Softmax(),
    ],
    ids=repr,
)
def test_backward_matches_finite_differences(act, float64):
    r = np.random.default_rng(3)
    Z = _z_away_from_kinks(r, (4, 5))
    dA = r.normal(size=(4, 5))
    A = act.forward(Z)
    analytic = act.backward(dA, Z, A)
    assert analytic.shape == Z.shape
    numeric = num_grad(lambda Q: float((dA * act.forward(Q)).sum()), Z.copy())
    assert rel_err(analytic, numeric) < 1e-6
    assert np.abs(numeric).max() > 1e-3  # not vacuous


def test_relu_family_zero_slope_side_is_used(float64):
    # with every z negative, relu's gradient must vanish and leaky_relu's be 0.2 dA
    Z = -np.array([[0.5, 1.0, 2.0]])
    dA = np.array([[1.0, -2.0, 3.0]])
    np.testing.assert_array_equal(activations.ReLU().backward(dA, Z, None), [[0.0, 0.0, 0.0]])
    np.testing.assert_allclose(
        activations.LeakyReLU().backward(dA, Z, None), [[0.2, -0.4, 0.6]], rtol=1e-12
    )


def test_step_backward_raises_mentioning_perceptron():
    step = activations.Step()
    Z = np.array([[-1.0, 1.0]])
    with pytest.raises(ValueError, match="Perceptron"):
        step.backward(np.ones_like(Z), Z, step.forward(Z))
    assert step.differentiable is False
    assert activations.ReLU().differentiable is True


# --------------------------------------------------------------------------------------
# Stability
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_softmax_extremes_are_finite(dtype):
    Z = np.array([[-1000.0, 1000.0], [1000.0, -1000.0], [1000.0, 1000.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        S = activations.sigmoid(Z)
        A = activations.softmax(Z)
        SP = activations.softplus(Z)
    for out in (S, A, SP):
        assert out.dtype == dtype
        assert np.all(np.isfinite(out))
    assert np.all((S >= 0) & (S <= 1)) and np.all((A >= 0) & (A <= 1))
    # sigmoid(-1000) = 0, sigmoid(1000) = 1
    np.testing.assert_allclose(S, [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], atol=1e-30)
    # softmax: one-hot at the larger logit; equal logits split evenly
    np.testing.assert_allclose(A, [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]], atol=1e-30)
    # softplus(1000) = log(1 + e^1000) = 1000 (+ e^-1000) ; softplus(-1000) = e^-1000 = 0
    np.testing.assert_allclose(SP, [[0.0, 1000.0], [1000.0, 0.0], [1000.0, 1000.0]], atol=1e-30)


def test_softplus_1000_is_1000():
    assert float(activations.softplus(np.array([1000.0]))[0]) == 1000.0
    assert float(activations.softplus(np.array([1000.0], dtype=np.float32))[0]) == 1000.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_backward_finite_at_extremes(dtype):
    Z = np.array([[-1000.0, 1000.0]], dtype=dtype)
    act = activations.Sigmoid()
    g = act.backward(np.ones_like(Z), Z, act.forward(Z))
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g, [[0.0, 0.0]], atol=1e-30)


# --------------------------------------------------------------------------------------
# get()
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,cls",
    [
        ("linear", activations.Linear),
        ("sigmoid", activations.Sigmoid),
        ("tanh", activations.Tanh),
        ("relu", activations.ReLU),
        ("leaky_relu", activations.LeakyReLU),
        ("elu", activations.ELU),
        ("softplus", activations.Softplus),
        ("softmax", activations.Softmax),
        ("step", activations.Step),
    ],
)
def test_get_by_name_and_by_module_function(name, cls):
    assert type(activations.get(name)) is cls
    assert type(activations.get(getattr(activations, name))) is cls


def test_get_none_is_linear():
    act = activations.get(None)
    assert isinstance(act, activations.Linear)
    Z = np.array([-1.5, 2.0])
    np.testing.assert_array_equal(act(Z), Z)


def test_get_instance_passthrough():
    inst = activations.LeakyReLU(negative_slope=0.1)
    assert activations.get(inst) is inst


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        activations.get("relu6_typo")
    msg = str(info.value)
    assert "relu6_typo" in msg
    for valid in ("relu", "sigmoid", "softmax", "leaky_relu"):
        assert repr(valid) in msg


def test_get_plain_callable_raises_type_error():
    with pytest.raises(TypeError):
        activations.get(lambda x: x)
    with pytest.raises(TypeError):
        activations.get(np.tanh)  # a same-named function from elsewhere is not ours


@pytest.mark.parametrize("name", sorted(activations.ACTIVATIONS))
def test_forward_inplace_gives_forward_and_leaves_what_backward_needs(name, float64):
    """forward_inplace may write A over Z; backward(dA, Z', A) with Z' what forward_inplace
    left behind must equal backward(dA, Z, A) on the untouched Z."""
    act = activations.get(name)
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(5, 4)) * 3
    dA = rng.normal(size=(5, 4))
    A = act.forward(Z.copy())
    Z_left = Z.copy()
    A_inplace = act.forward_inplace(Z_left)
    np.testing.assert_array_equal(A_inplace, A)
    if not act.differentiable:
        return
    np.testing.assert_array_equal(act.backward(dA, Z_left, A_inplace), act.backward(dA, Z, A))


def test_softmax_row_max_is_max_bit_for_bit_including_nan_and_infinities():
    from nnlab.activations import _row_max

    rng = np.random.default_rng(4)
    cases = [
        rng.normal(size=(6, 5)).astype(np.float32),
        rng.normal(size=(3, 1)),
        np.array([[1.0, np.nan, 3.0], [np.inf, 1.0, 2.0], [-np.inf, -np.inf, -np.inf]]),
        rng.normal(size=(2, 3, 4)),  # not a matrix: the plain reduction
        rng.normal(size=(8, 6))[:, ::2],  # not contiguous
        np.zeros((0, 3)),
    ]
    for Z in cases:
        np.testing.assert_array_equal(_row_max(Z), Z.max(axis=-1, keepdims=True))


def test_softmax_of_integer_logits_is_float64():
    A = activations.get("softmax")(np.array([[1, 2, 3]]))
    assert A.dtype == np.float64
    np.testing.assert_allclose(A, np.exp([[1, 2, 3]]) / np.exp([1, 2, 3]).sum(), rtol=1e-15)


def test_a_subclass_does_not_inherit_the_in_place_kernel():
    """A subclass may change forward (or backward): Dense must call its forward."""
    from nnlab.layers import Dense

    class ReLU6(activations.ReLU):
        def forward(self, Z):
            return np.minimum(np.maximum(Z, 0), 6)

    layer = Dense(2, activation=ReLU6(), kernel_initializer="ones")
    np.testing.assert_array_equal(layer(np.array([[10.0, 1.0]])), [[6.0, 6.0]])
