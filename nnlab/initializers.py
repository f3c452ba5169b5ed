"""Weight initializers with Keras 3's names, defaults and formulas.

An initializer is called as `init(shape, dtype)` and returns a new array. Random
initializers take `seed=`; with `seed=None` a seed is drawn from nnlab's global seed
stream when the initializer is created (so `nnlab.utils.set_random_seed` makes them
reproducible), and each call then continues that initializer's own generator.

Fans: for shape (a, b), fan_in = a and fan_out = b; for a 1-D shape both equal its
length; for higher ranks the receptive field (product of the leading axes) times the
last two. The truncated normals redraw values outside mean +- 2 stddev and divide the
stddev by 0.8796..., the stddev of a standard normal truncated to [-2, 2], so that the
result has the intended variance.
"""

from __future__ import annotations

import math

import numpy as np

from nnlab.backend import make_rng, standardize_dtype

_TRUNC_STD = 0.87962566103423978


def _fans(shape) -> tuple[float, float]:
    shape = tuple(shape)
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


class Initializer:
    """Base class: `__call__(shape, dtype=None) -> array`."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=standardize_dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=standardize_dtype(dtype))


class Constant(Initializer):
    """Every entry equal to `value`."""

    def __init__(self, value: float = 0.0):
        self.value = float(value)

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=standardize_dtype(dtype))

    def get_config(self) -> dict:
        return {"value": self.value}


class _Random(Initializer):
    def __init__(self, seed: int | None = None):
        self.seed = seed
        self._rng = make_rng(seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class RandomNormal(_Random):
    """N(mean, stddev^2), untruncated (Keras defaults mean 0, stddev 0.05)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=None):
        W = self._rng.normal(self.mean, self.stddev, size=shape)
        return W.astype(standardize_dtype(dtype))

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_Random):
    """U(minval, maxval) (Keras defaults -0.05, 0.05)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape, dtype=None):
        W = self._rng.uniform(self.minval, self.maxval, size=shape)
        return W.astype(standardize_dtype(dtype))

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(_Random):
    """N(mean, stddev^2) with values beyond 2 stddev redrawn."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=None):
        return (self.mean + self.stddev * _truncated(self._rng, shape)).astype(
            standardize_dtype(dtype)
        )

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class Orthogonal(_Random):
    """A random orthogonal matrix times `gain` (Keras's default for recurrent kernels).

    The shape is read as (prod(shape[:-1]), shape[-1]); Q of the QR decomposition of a
    standard normal matrix (of the transposed shape when it has fewer rows than
    columns), with each column's sign fixed by the sign of R's diagonal so that Q is
    uniformly distributed. Rows (or columns, whichever are fewer) are orthonormal.

    Example:
        >>> import numpy as np
        >>> Q = Orthogonal(seed=0)((3, 3), "float64")
        >>> bool(np.allclose(Q.T @ Q, np.eye(3)))
        True
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        super().__init__(seed)
        self.gain = float(gain)

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal needs a shape of rank >= 2 (a matrix). Received: shape={shape}"
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        A = self._rng.standard_normal((max(rows, cols), min(rows, cols)))
        Q, R = np.linalg.qr(A)
        Q = Q * np.sign(np.diag(R))
        if rows < cols:
            Q = Q.T
        return (self.gain * Q).reshape(shape).astype(standardize_dtype(dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain, "seed": self.seed}


def _truncated(rng: np.random.Generator, shape) -> np.ndarray:
    """Standard normal samples, those outside [-2, 2] redrawn."""
    Z = rng.standard_normal(size=shape)
    bad = np.abs(Z) > 2
    while bad.any():
        Z[bad] = rng.standard_normal(size=int(bad.sum()))
        bad = np.abs(Z) > 2
    return Z


class VarianceScaling(_Random):
    """Variance scale / fan, with fan from `mode` (fan_in, fan_out, fan_avg).

    distribution "uniform": U(-L, L) with L = sqrt(3 scale / fan);
    "truncated_normal": truncated N(0, sigma^2), sigma = sqrt(scale / fan) / 0.8796...;
    "untruncated_normal": N(0, scale / fan).
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("uniform", "truncated_normal", "untruncated_normal")

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
    ):
        if scale <= 0:
            raise ValueError(f"VarianceScaling expects scale > 0. Received: scale={scale}")
        if mode not in self._MODES:
            raise ValueError(f"mode must be one of {self._MODES}. Received: mode={mode!r}")
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(
                f"distribution must be one of {self._DISTRIBUTIONS}. "
                f"Received: distribution={distribution!r}"
            )
        super().__init__(seed)
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = _fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}
        variance = self.scale / max(1.0, fan[self.mode])
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            W = self._rng.uniform(-limit, limit, size=shape)
        elif self.distribution == "truncated_normal":
            W = math.sqrt(variance) / _TRUNC_STD * _truncated(self._rng, shape)
        else:
            W = math.sqrt(variance) * self._rng.standard_normal(size=shape)
        return W.astype(standardize_dtype(dtype))

    def get_config(self) -> dict:
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "seed": self.seed,
        }


def _variance_scaling(name: str, scale: float, mode: str, distribution: str, doc: str):
    def __init__(self, seed: int | None = None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}

    return type(
        name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config, "__doc__": doc}
    )


GlorotUniform = _variance_scaling(
    "GlorotUniform",
    1.0,
    "fan_avg",
    "uniform",
    "Xavier/Glorot uniform: U(-L, L), L = sqrt(6 / (fan_in + fan_out)). Dense's default.",
)
GlorotNormal = _variance_scaling(
    "GlorotNormal",
    1.0,
    "fan_avg",
    "truncated_normal",
    "Xavier/Glorot normal: truncated, stddev sqrt(2 / (fan_in + fan_out)) / 0.8796...",
)
HeUniform = _variance_scaling(
    "HeUniform", 2.0, "fan_in", "uniform", "He uniform: U(-L, L), L = sqrt(6 / fan_in)."
)
HeNormal = _variance_scaling(
    "HeNormal",
    2.0,
    "fan_in",
    "truncated_normal",
    "He normal: truncated, stddev sqrt(2 / fan_in) / 0.8796...",
)
LecunUniform = _variance_scaling(
    "LecunUniform", 1.0, "fan_in", "uniform", "LeCun uniform: U(-L, L), L = sqrt(3 / fan_in)."
)
LecunNormal = _variance_scaling(
    "LecunNormal",
    1.0,
    "fan_in",
    "truncated_normal",
    "LeCun normal: truncated, stddev sqrt(1 / fan_in) / 0.8796...",
)

INITIALIZERS: dict[str, type[Initializer]] = {
    "zeros": Zeros,
    "zero": Zeros,
    "ones": Ones,
    "one": Ones,
    "constant": Constant,
    "random_normal": RandomNormal,
    "normal": RandomNormal,
    "random_uniform": RandomUniform,
    "uniform": RandomUniform,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
    "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal,
}
_BY_CLASS_NAME = {cls.__name__: cls for cls in INITIALIZERS.values()}


def get(identifier) -> Initializer:
    """Resolve an initializer from a name (Keras's snake or class name) or an instance."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        cls = INITIALIZERS.get(identifier) or _BY_CLASS_NAME.get(identifier)
        if cls is None:
            raise ValueError(
                f"Unknown initializer {identifier!r}. Expected one of {sorted(INITIALIZERS)}."
            )
        return cls()
    raise TypeError(
        "initializer must be a name such as 'glorot_uniform' or an "
        f"nnlab.initializers.Initializer. Received: {identifier!r}"
    )


def serialize(init: Initializer) -> dict:
    return {"class_name": type(init).__name__, "config": init.get_config()}


def deserialize(config: dict) -> Initializer:
    return _BY_CLASS_NAME[config["class_name"]](**config.get("config", {}))
