"""Keras differential check of the convolutional and recurrent layers (issue 18).

    python bench/keras_diff_layers.py            # every case; exit code 1 if any exceeds 1e-6
    python bench/keras_diff_layers.py lstm gru   # only the cases whose name contains a word

Each case builds the same small model twice, once with nnlab and once with Keras 3 (TensorFlow
backend), both in float64. nnlab's initial weights are replaced by N(0, 0.4^2) draws and copied
into the Keras model (same order and shapes, which is checked). Then it compares

- the forward output (`predict`) on the case's inputs,
- three full-batch SGD(0.02) steps on the MSE loss (`fit(epochs=3, shuffle=False)`): the three
  losses and every weight afterwards, which checks every gradient the layers produce.

- `.keras` files both ways (issues 14 and 18): the nnlab model saved with `model.save("m.keras")`
  and opened by `keras.saving.load_model`, and the Keras model saved by Keras and opened by
  `nnlab.models.load_model`, each predicting what the other library's original predicts.

The largest absolute difference of each case must be below TOL = 1e-6. Cases whose layer is
random in training (SpatialDropout) compare the inference forward only. A last check saves a
Keras model with a layer nnlab does not have and expects nnlab's loader to refuse it by name.
Needs keras>=3 and tensorflow (`pip install -e ".[keras]"`).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from keras_diff_files import (  # noqa: E402  (bench/, beside this script)
    keras_files,
    mixed_model_both_ways,
    unsupported_layer_refused,
)

TOL = 1e-6
LR = 0.02  # small enough that no case diverges in three steps
SEED = 0


# -- the model builders: each takes the module (nnlab or keras) and returns a model ---------


def image_model(layer_fn, shape=(7, 8, 2), conv_first=True):
    """Input -> [Conv2D(3, 2)] -> layer -> Flatten -> Dense(2): the conv before the layer
    under test makes its input gradient matter for the weights."""

    def build(m):
        x = m.layers.Input(shape=shape)
        h = m.layers.Conv2D(3, 2, activation="tanh")(x) if conv_first else x
        h = layer_fn(m)(h)
        if len(h.shape) > 2:
            h = m.layers.Flatten()(h)
        return m.models.Model(x, m.layers.Dense(2)(h))

    return build


def pooled(layer_fn, pool="GlobalAveragePooling2D"):
    """layer_fn followed by a global pooling: a large image's Flatten would give the Dense
    so many inputs that LR diverges in three steps."""

    def make(m):
        layer, gap = layer_fn(m), getattr(m.layers, pool)()
        return lambda h: gap(layer(h))

    return make


def seq_model(layer_fn, shape=(9, 2), conv_first=True):
    """Input -> [Conv1D(3, 2)] -> layer -> Flatten -> Dense(2)."""

    def build(m):
        x = m.layers.Input(shape=shape)
        h = m.layers.Conv1D(3, 2, activation="tanh")(x) if conv_first else x
        h = layer_fn(m)(h)
        if len(h.shape) > 2:
            h = m.layers.Flatten()(h)
        return m.models.Model(x, m.layers.Dense(2)(h))

    return build


def rnn_model(cls, masked=False, **kw):
    """[Embedding(9, 3, mask_zero) ->] RNN(4, **kw) -> [Flatten] -> Dense(2)."""

    def build(m):
        if masked:
            x = m.layers.Input(shape=(7,))
            h = m.layers.Embedding(9, 3, mask_zero=True)(x)
        else:
            x = m.layers.Input(shape=(6, 2))
            h = x
        h = getattr(m.layers, cls)(4, **kw)(h)
        if kw.get("return_state"):
            h = m.layers.Concatenate()(list(h))
        if len(h.shape) > 2:
            h = m.layers.Flatten()(h) if not masked else m.layers.GlobalAveragePooling1D()(h)
        return m.models.Model(x, m.layers.Dense(2)(h))

    return build


def stacked_bidirectional(cls, merge_mode="concat"):
    """Embedding(mask_zero) -> Bidirectional(RNN, return_sequences) -> RNN -> Dense(2)."""

    def build(m):
        x = m.layers.Input(shape=(7,))
        h = m.layers.Embedding(9, 3, mask_zero=True)(x)
        rnn = getattr(m.layers, cls)(4, return_sequences=True)
        h = m.layers.Bidirectional(rnn, merge_mode=merge_mode)(h)
        h = getattr(m.layers, cls)(3)(h)
        return m.models.Model(x, m.layers.Dense(2)(h))

    return build


def time_distributed(m):
    x = m.layers.Input(shape=(7,))
    h = m.layers.Embedding(9, 3, mask_zero=True)(x)
    h = m.layers.TimeDistributed(m.layers.Dense(5, activation="tanh"))(h)
    h = m.layers.GlobalAveragePooling1D()(h)
    return m.models.Model(x, m.layers.Dense(2)(h))


def state_passing(m):
    """return_state of one LSTM as the initial_state of another."""
    x = m.layers.Input(shape=(6, 2))
    out, h, c = m.layers.LSTM(4, return_state=True)(x)
    y2 = m.layers.LSTM(4)(x, initial_state=[h, c])
    return m.models.Model(x, m.layers.Dense(2)(m.layers.Concatenate()([out, y2, c])))


def small_cnn(m):
    """The digits-cnn benchmark network on 8x8x1 images."""
    x = m.layers.Input(shape=(8, 8, 1))
    h = m.layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    h = m.layers.MaxPooling2D(2)(h)
    h = m.layers.Conv2D(5, 3, padding="same", activation="relu")(h)
    h = m.layers.GlobalAveragePooling2D()(h)
    return m.models.Model(x, m.layers.Dense(2)(h))


def parallel_lstms(m):
    """Two LSTMs of one shape, the second with return_state: the .keras weight groups
    (lstm, lstm_1) must follow Keras's layer order, or the weights would be swapped."""
    x = m.layers.Input(shape=(6, 2))
    b = m.layers.LSTM(4)(x)
    a, _, c = m.layers.LSTM(4, return_state=True)(x)
    return m.models.Model(x, m.layers.Dense(2)(m.layers.Concatenate()([b, a, c])))


def sequential_cnn(m):
    """small_cnn as a Sequential model (the .keras files' Sequential form)."""
    return m.models.Sequential([
        m.layers.Input(shape=(8, 8, 1)), m.layers.ZeroPadding2D(1),
        m.layers.Conv2D(4, 3, activation="relu"), m.layers.MaxPooling2D(2),
        m.layers.Conv2D(5, 3, padding="same", activation="relu"),
        m.layers.GlobalAveragePooling2D(), m.layers.Dense(2)])


def pool_plan_2d(m):
    """Conv(relu) -> MaxPool twice on 21x21 images: the first convolution (19x19, the column
    layout) computes the 18x18 its pool reads, in pool order; the second (7x7, rows) the
    6x6 its pool reads (nnlab.step.pool_activation.pool_plan)."""
    return m.models.Sequential([
        m.layers.Input(shape=(21, 21, 1)),
        m.layers.Conv2D(4, 3, activation="relu"), m.layers.MaxPooling2D(2),
        m.layers.Conv2D(5, 3, activation="relu"), m.layers.MaxPooling2D(2),
        m.layers.Flatten(), m.layers.Dense(2)])


def pool_plan_1d(m):
    """The same on 301-step sequences: 299 -> the pool reads 298, in pool order; then
    147 -> 146."""
    return m.models.Sequential([
        m.layers.Input(shape=(301, 2)),
        m.layers.Conv1D(3, 3, activation="relu"), m.layers.MaxPooling1D(2),
        m.layers.Conv1D(3, 3, activation="relu"), m.layers.MaxPooling1D(2),
        m.layers.GlobalAveragePooling1D(), m.layers.Dense(2)])


def sequential_rnn_dropout(m):
    """Embedding(mask_zero) -> LSTM with dropout and recurrent_dropout (random in training,
    so compared at inference) -> Dense, as a Sequential model."""
    return m.models.Sequential([
        m.layers.Input(shape=(7,)), m.layers.Embedding(9, 3, mask_zero=True),
        m.layers.LSTM(4, dropout=0.25, recurrent_dropout=0.25, seed=3), m.layers.Dense(2)])


def embedding_conv1d(m):
    x = m.layers.Input(shape=(7,))
    h = m.layers.Conv1D(2, 2)(m.layers.Embedding(9, 3)(x))
    return m.models.Model(x, m.layers.Dense(2)(m.layers.GlobalMaxPooling1D()(h)))


def L(name, **kw):
    return lambda m: getattr(m.layers, name)(**kw)


# -- the table of cases: name, builder, input kind, forward only ----------------------------

CASES = [
    ("conv2d valid", image_model(L("Conv2D", filters=4, kernel_size=3), conv_first=False), "img"),
    ("conv2d strides=2", image_model(L("Conv2D", filters=4, kernel_size=3, strides=2)), "img"),
    ("conv2d same", image_model(L("Conv2D", filters=4, kernel_size=3, padding="same")), "img"),
    (
        "conv2d same strides=2",
        image_model(L("Conv2D", filters=4, kernel_size=3, padding="same", strides=2)),
        "img",
    ),
    (
        "conv2d dilation=2",
        image_model(L("Conv2D", filters=4, kernel_size=2, dilation_rate=2)),
        "img",
    ),
    (
        "conv2d (2,4) strides=(2,3) same relu",
        image_model(
            L("Conv2D", filters=4, kernel_size=(2, 4), strides=(2, 3), padding="same",
              activation="relu")
        ),
        "img",
    ),
    ("conv2d no bias", image_model(L("Conv2D", filters=4, kernel_size=3, use_bias=False)), "img"),
    (
        "conv2d columns layout (20x18x1)",
        image_model(pooled(L("Conv2D", filters=4, kernel_size=3, activation="relu")),
                    shape=(20, 18, 1), conv_first=False),
        "big",
    ),
    (
        "conv2d columns layout, then a strided rows one",
        image_model(pooled(L("Conv2D", filters=4, kernel_size=2, padding="same", strides=2)),
                    shape=(20, 18, 1)),
        "big",
    ),
    (
        "conv1d columns layout (300 steps), dilation=2 causal",
        seq_model(pooled(L("Conv1D", filters=3, kernel_size=3, padding="causal",
                             dilation_rate=2), "GlobalAveragePooling1D"), shape=(300, 2)),
        "long",
    ),
    ("conv1d valid", seq_model(L("Conv1D", filters=3, kernel_size=3), conv_first=False), "seq"),
    ("conv1d strides=2", seq_model(L("Conv1D", filters=3, kernel_size=3, strides=2)), "seq"),
    ("conv1d same", seq_model(L("Conv1D", filters=3, kernel_size=3, padding="same")), "seq"),
    (
        "conv1d causal dilation=2",
        seq_model(L("Conv1D", filters=3, kernel_size=3, padding="causal", dilation_rate=2)),
        "seq",
    ),
    ("max_pooling2d 2", image_model(L("MaxPooling2D", pool_size=2)), "img"),
    (
        "max_pooling2d 3/2 same",
        image_model(L("MaxPooling2D", pool_size=3, strides=2, padding="same")),
        "img",
    ),
    ("average_pooling2d 2", image_model(L("AveragePooling2D", pool_size=2)), "img"),
    (
        "average_pooling2d (2,3) same",
        image_model(L("AveragePooling2D", pool_size=(2, 3), padding="same")),
        "img",
    ),
    ("max_pooling1d 2", seq_model(L("MaxPooling1D", pool_size=2)), "seq"),
    (
        "max_pooling1d 3/2 same",
        seq_model(L("MaxPooling1D", pool_size=3, strides=2, padding="same")),
        "seq",
    ),
    (
        "average_pooling1d 3/2 same",
        seq_model(L("AveragePooling1D", pool_size=3, strides=2, padding="same")),
        "seq",
    ),
    ("global_average_pooling2d", image_model(L("GlobalAveragePooling2D")), "img"),
    ("global_max_pooling2d", image_model(L("GlobalMaxPooling2D")), "img"),
    ("global_average_pooling1d", seq_model(L("GlobalAveragePooling1D")), "seq"),
    ("global_max_pooling1d", seq_model(L("GlobalMaxPooling1D")), "seq"),
    (
        "zero_padding2d ((1,2),(0,3))",
        image_model(L("ZeroPadding2D", padding=((1, 2), (0, 3)))),
        "img",
    ),
    ("up_sampling2d (2,3)", image_model(L("UpSampling2D", size=(2, 3))), "img"),
    ("spatial_dropout2d (inference)", image_model(L("SpatialDropout2D", rate=0.5)), "img", True),
    ("spatial_dropout1d (inference)", seq_model(L("SpatialDropout1D", rate=0.5)), "seq", True),
    ("digits-cnn shaped network", small_cnn, "img8"),
]
for _cls in ("SimpleRNN", "LSTM", "GRU"):
    _low = _cls.lower()
    CASES += [
        (f"{_low}", rnn_model(_cls), "rnn"),
        (f"{_low} return_sequences", rnn_model(_cls, return_sequences=True), "rnn"),
        (
            f"{_low} go_backwards return_sequences",
            rnn_model(_cls, go_backwards=True, return_sequences=True),
            "rnn",
        ),
        (f"{_low} return_state", rnn_model(_cls, return_state=True), "rnn"),
        (f"{_low} embedding mask_zero", rnn_model(_cls, masked=True), "ids"),
        (
            f"{_low} masked return_sequences",
            rnn_model(_cls, masked=True, return_sequences=True),
            "ids",
        ),
        (f"{_low} bidirectional concat (masked)", stacked_bidirectional(_cls), "ids"),
    ]
CASES += [
    ("gru reset_after=False", rnn_model("GRU", reset_after=False), "rnn"),
    ("gru reset_after=False masked", rnn_model("GRU", reset_after=False, masked=True), "ids"),
    ("lstm unit_forget_bias=False", rnn_model("LSTM", unit_forget_bias=False), "rnn"),
    ("bidirectional sum", stacked_bidirectional("GRU", "sum"), "ids"),
    ("bidirectional mul", stacked_bidirectional("LSTM", "mul"), "ids"),
    ("bidirectional ave", stacked_bidirectional("SimpleRNN", "ave"), "ids"),
    ("time_distributed dense + masked mean", time_distributed, "ids"),
    ("lstm return_state -> initial_state", state_passing, "rnn"),
    ("two lstms, one with return_state", parallel_lstms, "rnn"),
    ("sequential cnn", sequential_cnn, "img8"),
    ("max pools reading part of a conv (crop, pool order)", pool_plan_2d, "img21"),
    ("max pools reading part of a conv1d (crop, pool order)", pool_plan_1d, "long301"),
    ("sequential lstm dropout (inference)", sequential_rnn_dropout, "ids", True),
    ("bidirectional gru reset_after=False", seq_model(lambda m: m.layers.Bidirectional(
        m.layers.GRU(3, reset_after=False)), shape=(6, 2), conv_first=False), "rnn"),
    ("time_distributed conv2d", seq_model(lambda m: m.layers.TimeDistributed(m.layers.Conv2D(
        2, 3, activation="tanh")), shape=(3, 5, 5, 2), conv_first=False), "vid"),
    ("embedding (no mask) conv1d", embedding_conv1d, "ids"),
    ("global_average_pooling2d keepdims", image_model(L("GlobalAveragePooling2D",
                                                         keepdims=True)), "img"),
]


def inputs(kind, rng):
    """The case's input batch (6 samples) and MSE targets (6, 2)."""
    if kind == "img":
        x = rng.normal(size=(6, 7, 8, 2))
    elif kind == "img8":
        x = rng.normal(size=(6, 8, 8, 1))
    elif kind == "big":  # few channels, many positions: the column layout of the patches
        x = rng.normal(size=(6, 20, 18, 1))
    elif kind == "long":
        x = rng.normal(size=(6, 300, 2))
    elif kind == "img21":
        x = rng.normal(size=(6, 21, 21, 1))
    elif kind == "long301":
        x = rng.normal(size=(6, 301, 2))
    elif kind == "seq":
        x = rng.normal(size=(6, 9, 2))
    elif kind == "vid":
        x = rng.normal(size=(6, 3, 5, 5, 2))
    elif kind == "rnn":
        x = rng.normal(size=(6, 6, 2))
    else:  # token ids with padding 0: trailing, leading, and a row of a single token
        x = rng.integers(1, 9, size=(6, 7))
        x[0, 5:] = 0
        x[1, :3] = 0
        x[2, 1:] = 0
        x[3, 2] = 0
        x = x.astype(np.float64)
    return x, rng.normal(size=(6, 2))


def compare(name, builder, kind, forward_only=False):
    """Largest absolute nnlab-Keras difference of one case: forward, 3 losses, final weights."""
    import keras

    import nnlab

    rng = np.random.default_rng(SEED)
    x, y = inputs(kind, rng)
    mn, mk = builder(nnlab), builder(keras)
    weights = [rng.normal(size=w.shape) * 0.4 for w in mn.get_weights()]
    shapes_k = [tuple(w.shape) for w in mk.get_weights()]
    if [w.shape for w in weights] != shapes_k:
        raise AssertionError(f"{name}: weight shapes differ: nnlab {[w.shape for w in weights]}"
                             f" vs keras {shapes_k}")
    mn.set_weights(weights)
    mk.set_weights(weights)
    forward_k = np.asarray(mk(x, training=False))
    forward_n = mn.predict(x, verbose=0)
    errs = {"forward": float(np.abs(forward_n - forward_k).max())}
    errs.update(keras_files(mn, mk, x, forward_n, forward_k))
    if not forward_only:
        mn.compile(optimizer=nnlab.optimizers.SGD(LR), loss="mse")
        # Eager: these models are tiny, and tracing a graph per model would cost more.
        mk.compile(optimizer=keras.optimizers.SGD(LR), loss="mse", run_eagerly=True)
        fit = dict(epochs=3, batch_size=len(x), shuffle=False, verbose=0)
        hn = mn.fit(x, y, **fit).history["loss"]
        hk = mk.fit(x, y, **fit).history["loss"]
        errs["losses"] = float(np.abs(np.subtract(hn, hk)).max())
        errs["weights"] = max(
            float(np.abs(a - b).max()) for a, b in zip(mn.get_weights(), mk.get_weights())
        )
    return errs


COLUMNS = ("forward", "losses", "weights", "nnlab->keras", "keras->nnlab")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    import keras
    import tensorflow as tf

    import nnlab
    from nnlab import backend

    keras.config.set_floatx("float64")
    backend.set_floatx("float64")
    keras.utils.set_random_seed(SEED)
    cases = [c for c in CASES if not argv or any(w.lower() in c[0] for w in argv)]
    print(f"nnlab {nnlab.__version__} vs keras {keras.__version__} (tensorflow {tf.__version__}),"
          f" float64, tolerance {TOL:g}")
    print(f"{'case':44s} {'forward':>9s} {'3 losses':>9s} {'weights':>9s} "
          f"{'.keras n->k':>11s} {'.keras k->n':>11s}")
    t0 = time.perf_counter()
    failed = []
    for case in cases:
        name, builder, kind = case[:3]
        try:
            errs = compare(name, builder, kind, forward_only=len(case) > 3 and case[3])
        except Exception as exc:  # a crash fails the case, reported on its line
            print(f"{name:44s} FAILED: {type(exc).__name__}: {str(exc)[:400]}")
            failed.append(name)
            continue
        worst = max(errs.values())
        cells = [f"{errs[k]:{w}.1e}" if k in errs else f"{'-':>{w}s}"
                 for k, w in zip(COLUMNS, (9, 9, 9, 11, 11))]
        flag = "" if worst <= TOL else "   <-- EXCEEDS TOLERANCE"
        print(f"{name:44s} {' '.join(cells)}{flag}")
        if worst > TOL:
            failed.append(name)
    mixed = mixed_model_both_ways()
    print(f"{'mixed model: keras -> nnlab -> keras':44s} {mixed:9.1e}"
          f"{'' if mixed <= TOL else '   <-- EXCEEDS TOLERANCE'}")
    if mixed > TOL:
        failed.append("mixed model")
    refusal = unsupported_layer_refused()
    print(f"{'unsupported layer (Conv3D) refused by name':44s} {'ok' if not refusal else refusal}")
    if refusal:
        failed.append("unsupported layer refused")
    print(f"{len(cases)} cases in {time.perf_counter() - t0:.1f} s")
    if failed:
        print(f"FAILED: {len(failed)} case(s) exceed {TOL:g}: {', '.join(failed)}")
        return 1
    print(f"OK: every case within {TOL:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
