"""Writes tests/data/keras_3_15_1_cnn_rnn.keras with real Keras and prints its predictions.

    python bench/keras_file_fixture.py     # needs the `keras` extra (pip install -e ".[keras]")

The file is a functional Keras model using the convolutional, pooling, recurrent, Embedding
and wrapper layers (three inputs; token ids as int32; a mask from Embedding(mask_zero=True);
a GRU's return_state passed as a SimpleRNN's initial_state). tests/test_keras_files.py reads
it without Keras and compares nnlab's predictions with the ones printed here (the inputs
come from `inputs()`, which the test repeats).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "keras_3_15_1_cnn_rnn.keras"


def inputs():
    """The three input batches (4 samples), as the test builds them."""
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 9, size=(4, 7))
    ids[0, 4:] = 0
    ids[1, :2] = 0
    return [rng.normal(size=(4, 8, 8, 1)), ids, rng.normal(size=(4, 9, 2))]


def build(keras):
    K = keras.layers
    img = keras.Input(shape=(8, 8, 1), name="image")
    h = K.ZeroPadding2D(((1, 0), (0, 1)))(img)
    h = K.Conv2D(3, 3, strides=(1, 2), padding="same", activation="relu")(h)
    h = K.MaxPooling2D(2)(h)
    h = K.AveragePooling2D(2, padding="same")(h)
    h = K.UpSampling2D((2, 1))(h)
    h = K.SpatialDropout2D(0.25)(h)
    h = K.GlobalMaxPooling2D()(h)
    ids = keras.Input(shape=(7,), name="ids", dtype="int32")
    s = K.Embedding(9, 3, mask_zero=True)(ids)
    s = K.Bidirectional(K.LSTM(4, return_sequences=True), merge_mode="sum")(s)
    s = K.TimeDistributed(K.Dense(3, activation="tanh"))(s)
    out, state = K.GRU(3, return_sequences=True, return_state=True)(s)
    s2 = K.SimpleRNN(3, activation="relu")(out, initial_state=[state])
    seq = keras.Input(shape=(9, 2), name="seq")
    c = K.Conv1D(2, 3, padding="causal", dilation_rate=2, activation="tanh")(seq)
    c = K.SpatialDropout1D(0.5)(K.MaxPooling1D(2)(c))
    c = K.GlobalAveragePooling1D()(K.AveragePooling1D(2, strides=1)(c))
    merged = K.Concatenate()([h, state, s2, c])
    return keras.Model([img, ids, seq], K.Dense(2, activation="softmax")(merged))


def main() -> int:
    import keras

    keras.config.set_floatx("float64")
    keras.utils.set_random_seed(0)
    model = build(keras)
    rng = np.random.default_rng(1)
    model.set_weights([rng.normal(size=w.shape) * 0.5 for w in model.get_weights()])
    model.save(OUT)
    p = np.asarray(model(inputs(), training=False))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes) with keras {keras.__version__}")
    print(json.dumps(p.tolist()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
