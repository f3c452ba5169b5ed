"""The `.keras` checks of bench/keras_diff_layers.py (issues 14 and 18), with real Keras 3.

- `keras_files`: a case's nnlab model saved by nnlab and opened by `keras.saving.load_model`,
  and its Keras twin saved by Keras and opened by `nnlab.models.load_model`;
- `mixed_model_both_ways`: bench/keras_file_fixture.py's three-input model, Keras's file ->
  nnlab -> nnlab's file -> Keras;
- `unsupported_layer_refused`: a Keras file with a layer nnlab does not have (Conv3D).
"""

from __future__ import annotations

import os
import tempfile

import numpy as np


def keras_files(mn, mk, x, forward_n, forward_k) -> dict:
    """`.keras` both ways: nnlab's file opened by Keras predicts nnlab's forward, Keras's
    file opened by nnlab predicts Keras's forward."""
    import keras

    import nnlab

    with tempfile.TemporaryDirectory() as folder:
        mn.save(os.path.join(folder, "nnlab.keras"))
        from_nnlab = keras.saving.load_model(os.path.join(folder, "nnlab.keras"))
        mk.save(os.path.join(folder, "keras.keras"))
        from_keras = nnlab.models.load_model(os.path.join(folder, "keras.keras"))
    return {
        "nnlab->keras": float(np.abs(np.asarray(from_nnlab(x, training=False)) - forward_n).max()),
        "keras->nnlab": float(np.abs(from_keras.predict(x, verbose=0) - forward_k).max()),
    }


def unsupported_layer_refused() -> str:
    """A Keras file with a layer nnlab does not have: nnlab's loader must name it."""
    import keras

    import nnlab

    model = keras.Sequential([keras.Input(shape=(4, 4, 4, 1)), keras.layers.Conv3D(2, 2),
                              keras.layers.Flatten(), keras.layers.Dense(1)])
    with tempfile.TemporaryDirectory() as folder:
        model.save(os.path.join(folder, "conv3d.keras"))
        try:
            nnlab.models.load_model(os.path.join(folder, "conv3d.keras"))
        except nnlab.models.saving.ModelFileError as exc:
            return "" if "Conv3D" in str(exc) and "not a layer nnlab has" in str(exc) else str(exc)
    return "a Conv3D layer was loaded"


def mixed_model_both_ways() -> float:
    """The Keras model of bench/keras_file_fixture.py (three inputs, int32 token ids, every
    layer family): Keras's file -> nnlab -> nnlab's file -> Keras, all predicting alike."""
    import keras
    from keras_file_fixture import build, inputs

    import nnlab

    mk = build(keras)
    rng = np.random.default_rng(1)
    mk.set_weights([rng.normal(size=w.shape) * 0.5 for w in mk.get_weights()])
    x = inputs()
    want = np.asarray(mk(x, training=False))
    with tempfile.TemporaryDirectory() as folder:
        mk.save(os.path.join(folder, "keras.keras"))
        mn = nnlab.models.load_model(os.path.join(folder, "keras.keras"))
        mn.save(os.path.join(folder, "nnlab.keras"))
        back = keras.saving.load_model(os.path.join(folder, "nnlab.keras"))
    return max(float(np.abs(mn.predict(x, verbose=0) - want).max()),
               float(np.abs(np.asarray(back(x, training=False)) - want).max()))


def _nested_pair(lib):
    """The same three nested models in Keras or nnlab (`lib`): a Sequential inside a
    Sequential, a Sequential called in a functional model, a functional model in a
    functional model (itself holding a Sequential), a Sequential called three times at
    different depths (shared weights)."""
    L = lib.layers
    inner = lib.Sequential([lib.Input(shape=(4,)), L.Dense(5, activation="tanh"),
                            L.Dense(3, activation="relu")])
    seq = lib.Sequential([lib.Input(shape=(4,)), inner, L.Dense(2)])
    x = lib.Input(shape=(4,))
    inner2 = lib.Sequential([lib.Input(shape=(3,)), L.Dense(4, activation="sigmoid")])
    fun = lib.Model(x, L.Dense(1)(inner2(L.Dense(3)(x))))
    a = lib.Input(shape=(4,))
    deep = lib.Sequential([lib.Input(shape=(5,)), L.Dense(3, activation="elu")])
    enc = lib.Model(a, deep(L.Dense(5, activation="tanh")(a)))
    b = lib.Input(shape=(4,))
    funfun = lib.Model(b, L.Dense(2, activation="softmax")(L.Dense(4)(enc(b))))
    c = lib.Input(shape=(4,))
    shared = lib.Sequential([lib.Input(shape=(4,)), L.Dense(4, activation="tanh")])
    side = L.Dense(4)(c)
    h = L.Concatenate()([shared(L.Dense(4)(shared(c))), shared(side)])
    twice = lib.Model(c, L.Dense(1)(h))
    return [seq, fun, funfun, twice]


def nested_models_both_ways() -> tuple[float, str]:
    """Nested models in .keras files both ways (issue 14): each nnlab model saved by nnlab
    and opened by `keras.saving.load_model`, each Keras model (same weights) saved by
    Keras and opened by `nnlab.models.load_model`; the worst difference of predictions
    from the Keras model's own."""
    import keras

    import nnlab

    x = np.random.default_rng(7).normal(size=(9, 4))
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder:
        for i, (mk, mn) in enumerate(zip(_nested_pair(keras), _nested_pair(nnlab))):
            rng = np.random.default_rng(i)
            mk.set_weights([rng.normal(size=w.shape) * 0.5 for w in mk.get_weights()])
            mn.set_weights(mk.get_weights())
            want = np.asarray(mk(x, training=False))
            mn.save(os.path.join(folder, f"n{i}.keras"))
            mk.save(os.path.join(folder, f"k{i}.keras"))
            from_nnlab = keras.saving.load_model(os.path.join(folder, f"n{i}.keras"))
            from_keras = nnlab.models.load_model(os.path.join(folder, f"k{i}.keras"))
            for got in (mn.predict(x, verbose=0), np.asarray(from_nnlab(x, training=False)),
                        from_keras.predict(x, verbose=0)):
                worst = max(worst, float(np.abs(got - want).max()))
    return worst, ("Sequential in Sequential, Sequential in functional, functional in "
                   "functional, a Sequential called 3 times: nnlab->keras, keras->nnlab")
