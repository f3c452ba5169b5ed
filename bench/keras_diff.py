"""Differential suite: nnlab against real Keras 3, step by step, in float64.

Each check builds the same model in both, copies Keras's initial weights into nnlab,
trains both on the same batches and compares the loss of every step and every weight
after every step; or compares a metric, a logged history, an evaluate() list, a saved
file. Hyperparameters are exact in float32 (0.125, 0.875, ...) because Keras keeps them
as float32 constants even in float64 (README, differences from Keras).

Not part of the unit tests (it needs Keras): install the extra and run

    pip install -e ".[keras]"
    python bench/keras_diff.py            # all checks; exit code 1 if any differs
    python bench/keras_diff.py -k auc     # only checks whose name contains "auc"

It prints one line per check with the largest difference seen.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # oneDNN reorders float sums

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import nnlab  # noqa: E402
from nnlab import backend  # noqa: E402

TOL = 1e-9  # relative to max(1, |value|); float64 rounding differences stay near 1e-15

CHECKS: list = []


def check(fn):
    CHECKS.append(fn)
    return fn


def _keras():
    import logging

    import keras

    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices
    keras.config.set_floatx("float64")
    return keras


def _diff(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise AssertionError(f"shapes differ: nnlab {a.shape}, keras {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))))


# -- building the same model in both ----------------------------------------------------
def _build(spec, n_in: int):
    """spec: list of (units, activation) Dense layers. Returns (keras, nnlab) models
    with nnlab holding Keras's initial weights."""
    keras = _keras()
    km = keras.Sequential(
        [keras.Input(shape=(n_in,))] + [keras.layers.Dense(u, activation=a) for u, a in spec]
    )
    nm = nnlab.Sequential(
        [nnlab.Input(shape=(n_in,))] + [nnlab.layers.Dense(u, activation=a) for u, a in spec]
    )
    nm.set_weights(km.get_weights())
    return km, nm


def _steps(km, nm, batches) -> float:
    """train_on_batch on both for every batch; the largest loss or weight difference."""
    worst = 0.0
    for xb, yb in batches:
        lk = km.train_on_batch(xb, yb)
        ln = nm.train_on_batch(xb, yb)
        worst = max(worst, _diff(ln, lk))
        for wn, wk in zip(nm.get_weights(), km.get_weights()):
            worst = max(worst, _diff(wn, wk))
    return worst


def _batches(x, y, size):
    return [(x[i : i + size], y[i : i + size]) for i in range(0, len(x), size)]


def _data(kind: str, n=48, d=4, c=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    if kind == "categorical":
        return x, np.eye(c)[rng.integers(0, c, n)]
    if kind == "binary":
        return x, (rng.random((n, 1)) > 0.5).astype(float)
    return x, rng.normal(size=(n, c))


#: Adam's moments with float32-exact decay rates (the defaults 0.9 / 0.999 are not).
ADAM = {"beta_1": 0.875, "beta_2": 0.9990234375, "epsilon": 2.0**-20}
ADAGRAD = {"initial_accumulator_value": 0.125, "epsilon": 2.0**-20}


def _optimizers(keras):
    """Pairs of (name, keras optimizer, nnlab optimizer) with the same settings."""
    K, N = keras.optimizers, nnlab.optimizers
    return [
        ("sgd-momentum", K.SGD(0.125, momentum=0.875), N.SGD(0.125, momentum=0.875)),
        ("sgd-nesterov", K.SGD(0.0625, momentum=0.5, nesterov=True),
         N.SGD(0.0625, momentum=0.5, nesterov=True)),
        ("adam", K.Adam(0.0625, **ADAM), N.Adam(0.0625, **ADAM)),
        ("adam-amsgrad-wd", K.Adam(0.0625, amsgrad=True, weight_decay=0.125, **ADAM),
         N.Adam(0.0625, amsgrad=True, weight_decay=0.125, **ADAM)),
        ("rmsprop-centered", K.RMSprop(0.03125, centered=True, momentum=0.5, epsilon=2.0**-20),
         N.RMSprop(0.03125, centered=True, momentum=0.5, epsilon=2.0**-20)),
        ("adagrad-clipnorm", K.Adagrad(0.25, clipnorm=0.5, **ADAGRAD),
         N.Adagrad(0.25, clipnorm=0.5, **ADAGRAD)),
        ("adamw", K.AdamW(0.0625, weight_decay=0.125, **ADAM),
         N.AdamW(0.0625, weight_decay=0.125, **ADAM)),
        ("adamax", K.Adamax(0.0625, **ADAM), N.Adamax(0.0625, **ADAM)),
        ("lion", K.Lion(0.0625, beta_1=0.875, beta_2=0.96875),
         N.Lion(0.0625, beta_1=0.875, beta_2=0.96875)),
        ("ftrl", K.Ftrl(0.25, initial_accumulator_value=0.125, l1_regularization_strength=0.0625,
                        l2_regularization_strength=0.125, beta=0.5),
         N.Ftrl(0.25, initial_accumulator_value=0.125, l1_regularization_strength=0.0625,
                l2_regularization_strength=0.125, beta=0.5)),
    ]


# -- the checks -----------------------------------------------------------------------------
@check
def optimizers_per_step():
    keras = _keras()
    x, y = _data("categorical")
    worst = 0.0
    for name, kopt, nopt in _optimizers(keras):
        km, nm = _build([(6, "tanh"), (3, "softmax")], 4)
        km.compile(kopt, "categorical_crossentropy")
        nm.compile(nopt, "categorical_crossentropy")
        d = _steps(km, nm, _batches(x, y, 16) * 2)
        worst = max(worst, d)
        if d > TOL:
            return d, f"{name} differs"
    return worst, f"{len(_optimizers(keras))} optimizers x 6 steps"


@check
def losses_per_step():
    keras = _keras()
    worst = 0.0
    cases = [
        ("binary", [(5, "relu"), (1, "sigmoid")], "binary_crossentropy"),
        ("regression", [(5, "sigmoid"), (3, None)], "mse"),
        ("regression", [(5, "tanh"), (3, None)], "mae"),
        ("regression", [(5, "elu"), (3, None)], "huber"),
        ("categorical", [(5, "softplus"), (3, "softmax")], "kl_divergence"),
        ("binary", [(4, "tanh"), (1, "tanh")], "hinge"),
    ]
    for kind, spec, loss in cases:
        x, y = _data(kind, c=3)
        km, nm = _build(spec, 4)
        km.compile(keras.optimizers.SGD(0.125), loss)
        nm.compile(nnlab.optimizers.SGD(0.125), loss)
        worst = max(worst, _steps(km, nm, _batches(x, y, 16)))
    return worst, f"{len(cases)} losses x 3 steps"


@check
def new_losses_and_activations_per_step():
    """Issue 14's losses and activations. Keras computes gelu's sqrt(2/pi), log_cosh's
    log 2 and Nadam's 0.96 as float32 constants, so agreement is ~1e-9, not 1e-15."""
    keras = _keras()
    worst = 0.0
    cases = [
        ("regression", [(5, "gelu"), (3, None)], "log_cosh"),
        ("regression", [(5, "selu"), (3, "softplus")], "poisson"),
        ("regression", [(5, "swish"), (3, None)], "cosine_similarity"),
        ("binary", [(4, "mish"), (1, "tanh")], "squared_hinge"),
        ("categorical", [(5, "softsign"), (3, "softmax")], "categorical_hinge"),
        ("binary", [(5, "hard_swish"), (1, "sigmoid")], "binary_focal_crossentropy"),
        ("categorical", [(5, "relu6"), (3, "softmax")], "categorical_focal_crossentropy"),
        ("regression", [(5, "hard_sigmoid"), (3, None)], "mean_absolute_percentage_error"),
        ("regression", [(5, "exponential"), (3, "softplus")], "mean_squared_logarithmic_error"),
        ("categorical", [(5, "silu"), (3, "log_softmax")], "mse"),
    ]
    for kind, spec, loss in cases:
        x, y = _data(kind, c=3)
        km, nm = _build(spec, 4)
        km.compile(keras.optimizers.SGD(0.125), loss)
        nm.compile(nnlab.optimizers.SGD(0.125), loss)
        worst = max(worst, _steps(km, nm, _batches(x, y, 16)))
    km, nm = _build([(5, "tanh"), (3, None)], 4)
    km.compile(keras.optimizers.Nadam(0.0625, **ADAM), "mse")
    nm.compile(nnlab.optimizers.Nadam(0.0625, **ADAM), "mse")
    x, y = _data("regression", c=3)
    worst = max(worst, _steps(km, nm, _batches(x, y, 16) * 2))
    return worst, f"{len(cases)} losses x 3 steps, Nadam x 6 steps", 1e-7


@check
def fit_history_with_metrics():
    keras = _keras()
    x, y = _data("binary", n=50)
    metrics = ["accuracy", "auc", "precision", "recall", "mse"]
    km, nm = _build([(6, "tanh"), (1, "sigmoid")], 4)
    km.compile(keras.optimizers.SGD(0.25), "binary_crossentropy", metrics=metrics)
    nm.compile(nnlab.optimizers.SGD(0.25), "binary_crossentropy", metrics=metrics)
    kh = km.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, validation_split=0.2)
    # nnlab's validation_split is shuffled (README): give both the same held-out rows
    nh = nm.fit(x[:40], y[:40], batch_size=16, epochs=3, shuffle=False, verbose=0,
                validation_data=(x[40:], y[40:]), gradient_health=False)
    worst = 0.0
    for key, values in kh.history.items():
        worst = max(worst, _diff(nh.history[key], values))
    return worst, f"{len(kh.history)} history keys x 3 epochs"


@check
def validation_freq_and_batch_size():
    keras = _keras()
    x, y = _data("regression", n=30, c=2)
    km, nm = _build([(4, "tanh"), (2, None)], 4)
    km.compile(keras.optimizers.SGD(0.125), "mse", metrics=["mae"])
    nm.compile(nnlab.optimizers.SGD(0.125), "mse", metrics=["mae"])
    kw = dict(batch_size=8, epochs=5, shuffle=False, verbose=0, validation_freq=2,
              validation_batch_size=7, validation_data=(x[:9], y[:9]))
    hk = km.fit(x, y, **kw).history
    hn = nm.fit(x, y, gradient_health=False, **kw).history
    if sorted(hk) != sorted(hn) or any(len(hk[k]) != len(hn[k]) for k in hk):
        return float("inf"), f"keys/lengths differ: {hk} vs {hn}"
    return max(_diff(hn[k], v) for k, v in hk.items()), "5 epochs, validation on 2 and 4"


@check
def rmse_f1_accuracy_in_evaluate():
    """(Top-k accuracy is checked in the unit tests: Keras has it in float32 only.)"""
    keras = _keras()
    x, y = _data("categorical", n=40, c=4)
    km, nm = _build([(4, "softmax")], 4)
    mk = [keras.metrics.RootMeanSquaredError(), keras.metrics.F1Score(average="macro"),
          keras.metrics.CategoricalAccuracy()]
    mn = [nnlab.metrics.RootMeanSquaredError(), nnlab.metrics.F1Score(average="macro"),
          nnlab.metrics.CategoricalAccuracy()]
    km.compile("sgd", "categorical_crossentropy", metrics=mk)
    nm.compile("sgd", "categorical_crossentropy", metrics=mn)
    dk = km.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    dn = nm.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    return max(_diff(dn[k], v) for k, v in dk.items()), f"keys {sorted(dk)}"


@check
def weighted_metrics_in_evaluate():
    x, y = _data("binary", n=30)
    sw = np.random.default_rng(3).random(30)
    km, nm = _build([(1, "sigmoid")], 4)
    km.compile("sgd", "binary_crossentropy", metrics=["accuracy"], weighted_metrics=["accuracy"])
    nm.compile("sgd", "binary_crossentropy", metrics=["accuracy"], weighted_metrics=["accuracy"])
    dk = km.evaluate(x, y, sample_weight=sw, batch_size=8, verbose=0, return_dict=True)
    dn = nm.evaluate(x, y, sample_weight=sw, batch_size=8, verbose=0, return_dict=True)
    if sorted(dk) != sorted(dn):
        return float("inf"), f"keys differ: keras {sorted(dk)}, nnlab {sorted(dn)}"
    return max(_diff(dn[k], v) for k, v in dk.items()), f"keys {sorted(dk)}"


@check
def mismatches_multi_output():
    """Issue 14's mismatches 2, 3 and 6, live."""
    keras = _keras()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 3))
    y = [(rng.random((10, 1)) > 0.5).astype(float), rng.normal(size=(10, 1))]
    ki = keras.Input(shape=(3,))
    kh = keras.layers.Dense(4, activation="tanh", name="hid")(ki)
    km = keras.Model(ki, [keras.layers.Dense(1, activation="sigmoid", name="cls")(kh),
                          keras.layers.Dense(1, name="reg")(kh)])
    ni = nnlab.Input(shape=(3,))
    nh = nnlab.layers.Dense(4, activation="tanh", name="hid")(ni)
    nm = nnlab.Model(ni, [nnlab.layers.Dense(1, activation="sigmoid", name="cls")(nh),
                          nnlab.layers.Dense(1, name="reg")(nh)])
    nm.set_weights(km.get_weights())
    for m in (km, nm):
        m.compile(keras.optimizers.SGD(0.125) if m is km else nnlab.optimizers.SGD(0.125),
                  ["binary_crossentropy", "mse"], metrics=[["accuracy"], ["mae"]])
    worst = _diff(nm.evaluate(x, y, batch_size=4, verbose=0),
                  km.evaluate(x, y, batch_size=4, verbose=0))
    hk = km.fit(x, y, batch_size=4, shuffle=False, verbose=0).history
    hn = nm.fit(x, y, batch_size=4, shuffle=False, verbose=0, gradient_health=False).history
    worst = max([worst] + [_diff(hn[k], v) for k, v in hk.items()])
    single_k = keras.Model(ki, [keras.layers.Dense(2, name="o2")(ki)])
    single_n = nnlab.Model(ni, [nnlab.layers.Dense(2, name="o2")(ni)])
    single_n.set_weights(single_k.get_weights())
    worst = max(worst, _diff(single_n.predict(x, verbose=0), single_k.predict(x, verbose=0)))
    return worst, "evaluate list, per-output history, [out] predict"


@check
def mismatch_one_d_input():
    keras = _keras()
    x, y = np.array([-40.0, 0, 38]), np.array([-40.0, 32, 100])
    km = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    nm = nnlab.Sequential([nnlab.Input(shape=(1,)), nnlab.layers.Dense(1)])
    nm.set_weights(km.get_weights())
    km.compile(keras.optimizers.SGD(0.0001220703125), "mse")
    nm.compile(nnlab.optimizers.SGD(0.0001220703125), "mse")
    hk = km.fit(x, y, epochs=3, shuffle=False, verbose=0).history["loss"]
    hn = nm.fit(x, y, epochs=3, shuffle=False, verbose=0, gradient_health=False).history["loss"]
    return max(_diff(hn, hk), _diff(nm.get_weights()[0], km.get_weights()[0])), "Celsius"


@check
def mismatch_recompile_keeps_optimizer():
    keras = _keras()
    x, y = _data("regression", n=16, c=1)
    km, nm = _build([(1, None)], 4)
    ko, no = keras.optimizers.Adam(0.125, **ADAM), nnlab.optimizers.Adam(0.125, **ADAM)
    for _ in range(2):
        km.compile(ko, "mse")
        nm.compile(no, "mse")
        km.fit(x, y, batch_size=8, shuffle=False, verbose=0)
        nm.fit(x, y, batch_size=8, shuffle=False, verbose=0, gradient_health=False)
    if int(ko.iterations) != no.iterations:
        return float("inf"), f"iterations keras {int(ko.iterations)}, nnlab {no.iterations}"
    return max(_diff(a, b) for a, b in zip(nm.get_weights(), km.get_weights())), "4 steps"


@check
def nested_models_per_step():
    """A Sequential inside a Sequential, a functional model called twice (shared
    weights, gradients summed) and a frozen base, trained step by step in both."""
    keras = _keras()
    K, N = keras.layers, nnlab.layers
    x, y = _data("binary", n=32, d=4)
    x2 = x[::-1].copy()

    def pair(lib, L):
        inner = lib.Sequential([L.Dense(6, activation="tanh"), L.Dense(3, activation="relu")])
        outer = lib.Sequential([lib.Input(shape=(4,)), inner, L.Dense(1, activation="sigmoid")])
        a = lib.Input(shape=(4,))
        enc = lib.Model(a, L.Dense(3, activation="tanh")(a))
        b, c = lib.Input(shape=(4,)), lib.Input(shape=(4,))
        h = L.Concatenate()([enc(b), enc(c)])
        twin = lib.Model([b, c], L.Dense(1, activation="sigmoid")(h))
        base = lib.Sequential([lib.Input(shape=(4,)), L.Dense(5, activation="tanh")])
        base.trainable = False
        frozen = lib.Sequential([base, L.Dense(1, activation="sigmoid")])
        return [(outer, x), (twin, [x, x2]), (frozen, x)]

    worst, shapes = 0.0, []
    for (km, xk), (nm, xn) in zip(pair(keras, K), pair(nnlab, N)):
        if len(km.layers) != len(nm.layers) or len(km.trainable_weights) != len(
            nm.trainable_weights
        ):
            return float("inf"), f"layers or trainable weights differ for {nm.name}"
        nm.set_weights(km.get_weights())  # same order and shapes, or this fails
        km.compile(keras.optimizers.Adam(0.0625, **ADAM), "binary_crossentropy")
        nm.compile(nnlab.optimizers.Adam(0.0625, **ADAM), "binary_crossentropy")
        for i in range(0, 32, 8):
            xb = [v[i : i + 8] for v in xk] if isinstance(xk, list) else xk[i : i + 8]
            worst = max(worst, _diff(nm.train_on_batch(xb, y[i : i + 8]),
                                     km.train_on_batch(xb, y[i : i + 8])))
            for wn, wk in zip(nm.get_weights(), km.get_weights()):
                worst = max(worst, _diff(wn, wk))
        worst = max(worst, _diff(nm.predict(xn, verbose=0), km.predict(xk, verbose=0)))
        shapes.append(nm.count_params() == km.count_params())
    if not all(shapes):
        return float("inf"), "parameter counts differ"
    return worst, "nested Sequential, shared functional, frozen base x 4 steps"


def _zoo_nnlab():
    """nnlab models using every layer a .keras file can carry."""
    N, L = nnlab, nnlab.layers
    seq = N.Sequential([N.Input(shape=(4,)), L.Dense(6, activation="gelu"),
                        L.BatchNormalization(momentum=0.875), L.Dropout(0.25),
                        L.LeakyReLU(0.25), L.Dense(5, activation="tanh"), L.ReLU(max_value=2.0),
                        L.ELU(0.5), L.GaussianNoise(0.125), L.Dense(3), L.Softmax()])
    a, b = N.Input(shape=(4,), name="a"), N.Input(shape=(2, 3), name="b")
    fb = L.Flatten()(L.Reshape((3, 2))(b))
    ha, hb = L.Dense(6, activation="swish")(a), L.Dense(6, activation="selu")(fb)
    merged = L.Concatenate()([L.Add()([ha, hb]), L.Subtract()([ha, hb]),
                              L.Multiply()([ha, hb]), L.Average()([ha, hb])])
    fun = N.Model([a, b], [L.Dense(1, activation="sigmoid", name="p")(merged),
                           L.Activation("softplus")(L.Dense(2, name="r")(merged))])
    norm = L.Normalization()
    norm.adapt(np.random.default_rng(4).normal(size=(30, 4)) * 3 + 1)
    c, d = N.Input(shape=(4,)), N.Input(shape=(4,))
    hc = L.LayerNormalization()(L.Dense(5)(L.Rescaling(0.5, offset=0.25)(norm(c))))
    hd = L.UnitNormalization()(L.Dense(5)(d))
    mixed = L.Concatenate()([L.Maximum()([hc, hd]), L.Minimum()([hc, hd]),
                             L.Dot(axes=1, normalize=True)([hc, hd]), L.Dot(axes=-1)([hc, hd])])
    new = N.Model([c, d], L.Dense(2)(mixed))
    return [(seq, [np.random.default_rng(1).normal(size=(7, 4))]),
            (fun, [np.random.default_rng(2).normal(size=(7, 4)),
                   np.random.default_rng(3).normal(size=(7, 2, 3))]),
            (new, [np.random.default_rng(5).normal(size=(7, 4)),
                   np.random.default_rng(6).normal(size=(7, 4))])]


@check
def keras_file_nnlab_to_keras():
    """nnlab writes .keras; keras.saving.load_model opens it and predicts the same."""
    import tempfile

    keras = _keras()
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder:
        for i, (model, x) in enumerate(_zoo_nnlab()):
            # trained weights, moving statistics included
            rng = np.random.default_rng(i)
            model.set_weights([w + 0.1 * rng.normal(size=w.shape) for w in model.get_weights()])
            path = os.path.join(folder, f"m{i}.keras")
            model.save(path)
            loaded = keras.saving.load_model(path)
            xs = x[0] if len(x) == 1 else x
            pk, pn = loaded.predict(xs, verbose=0), model.predict(xs, verbose=0)
            for a, b in zip(pn if isinstance(pn, list) else [pn],
                            pk if isinstance(pk, list) else [pk]):
                worst = max(worst, _diff(a, b))
    return worst, "Sequential and functional zoo of every shared layer", 1e-6


@check
def keras_file_keras_to_nnlab():
    """Keras writes .keras; nnlab.models.load_model reads it and predicts the same; a
    Lambda layer is refused with a clear error."""
    import tempfile

    keras = _keras()
    K = keras.layers
    ki = keras.Input(shape=(4,))
    h = K.BatchNormalization()(K.Dense(5, activation="relu")(ki))
    km = keras.Model(ki, K.Dense(2, activation="softmax")(K.LeakyReLU()(K.Dropout(0.5)(h))))
    km.compile("adam", "categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(20, 4))
    km.fit(x, np.eye(2)[np.arange(20) % 2], verbose=0, epochs=2)
    norm = K.Normalization()
    norm.adapt(x[:, :3] * 2 + 1)
    seq = keras.Sequential([keras.Input(shape=(3,)), norm, K.Dense(4, activation="hard_sigmoid"),
                            K.LayerNormalization(), K.Dense(1)])
    with tempfile.TemporaryDirectory() as folder:
        worst = 0.0
        for i, (model, xs) in enumerate([(km, x), (seq, x[:, :3])]):
            path = os.path.join(folder, f"k{i}.keras")
            model.save(path)
            nm = nnlab.models.load_model(path)
            worst = max(worst, _diff(nm.predict(xs, verbose=0), model.predict(xs, verbose=0)))
        lam = keras.Sequential([keras.Input(shape=(3,)), K.Lambda(lambda t: t * 2)])
        lam.save(os.path.join(folder, "lambda.keras"))
        try:
            nnlab.models.load_model(os.path.join(folder, "lambda.keras"))
            return float("inf"), "a Lambda layer was loaded"
        except nnlab.models.saving.ModelFileError as exc:
            if "Lambda" not in str(exc):
                return float("inf"), f"unclear error: {exc}"
    return worst, ("functional (Dense, BN, Dropout, LeakyReLU), Sequential (adapted "
                   "Normalization, LayerNormalization); Lambda refused")


@check
def keras_file_nested_models():
    """Nested models in .keras files both ways (bench/keras_diff_files.py)."""
    from keras_diff_files import nested_models_both_ways

    _keras()
    worst, what = nested_models_both_ways()
    return worst, what, 1e-6


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", default="", help="run only checks whose name contains this")
    args = parser.parse_args(argv)
    backend.set_floatx("float64")
    warnings.simplefilter("ignore")
    keras = _keras()
    print(f"nnlab {nnlab.__version__} against keras {keras.__version__} (float64), tol {TOL:g}")
    failed = 0
    start = time.perf_counter()
    from keras_diff_fit import CHECKS as FIT_CHECKS  # issue 14: data in fit, EMA, top_k

    for fn in CHECKS + FIT_CHECKS:
        if args.k not in fn.__name__:
            continue
        keras.utils.set_random_seed(0)
        nnlab.layers.base.clear_session()
        keras.backend.clear_session()
        try:
            worst, what, *tol = fn()
            ok = worst <= (tol[0] if tol else TOL)
        except Exception as exc:  # a crash is a failed check, reported, not a traceback
            worst, what, ok = float("nan"), f"{type(exc).__name__}: {exc}", False
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {fn.__name__:<36} max diff {worst:.2e}  {what}")
    print(f"{failed} failed, {time.perf_counter() - start:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
