"""ONNX export of the sequence layers (nnlab/onnx_sequences.py): ONNX Runtime's RNN, LSTM
and GRU operators compute what nnlab's SimpleRNN, LSTM, GRU, Bidirectional, Embedding and
TimeDistributed(Dense) compute, with random weights and biases in every gate."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from nnlab import Input, Sequential
from nnlab.layers import (
    GRU,
    LSTM,
    Bidirectional,
    Dense,
    Dropout,
    Embedding,
    GlobalAveragePooling1D,
    SimpleRNN,
    TimeDistributed,
)
from nnlab.onnx_export import ONNXExportError, export_onnx


def randomize(model, rng) -> None:
    """Random weights everywhere, biases of every gate included (each gate's block of
    columns gets its own scale, so gates exported in the wrong order give other numbers)."""
    for layer in model.layers:
        if hasattr(layer, "forward_layer"):  # Bidirectional
            inner = [layer.forward_layer, layer.backward_layer]
        else:  # TimeDistributed's layer, or the layer itself
            inner = [getattr(layer, "layer", layer)]
        for lay in inner:
            for W in lay.params.values():
                scales = np.linspace(0.3, 1.2, W.shape[-1]).astype(W.dtype)
                W[...] = rng.normal(size=W.shape) * scales


def predict_both(model, x, tmp_path):
    path = tmp_path / "seq.onnx"
    export_onnx(model, path)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = sess.run(None, {sess.get_inputs()[0].name: x})
    return got, model.predict(x, verbose=0)


def _sequence_models():
    return {
        "simple_rnn": [SimpleRNN(5, return_sequences=True), SimpleRNN(3, activation="relu")],
        "simple_rnn_backwards": [SimpleRNN(4, go_backwards=True, return_sequences=True)],
        "lstm": [LSTM(5, return_sequences=True), LSTM(3)],
        "lstm_backwards_last": [LSTM(4, go_backwards=True)],
        "lstm_hard_sigmoid_no_bias": [
            LSTM(4, recurrent_activation="hard_sigmoid", use_bias=False, return_sequences=True)
        ],
        "gru_reset_after": [GRU(5, return_sequences=True), GRU(3, go_backwards=True)],
        "gru_reset_before": [GRU(4, reset_after=False, return_sequences=True, go_backwards=True)],
        "bidirectional_concat": [Bidirectional(LSTM(4, return_sequences=True)),
                                 TimeDistributed(Dense(2))],
        "bidirectional_sum_last": [Bidirectional(GRU(3), merge_mode="sum")],
        "bidirectional_ave": [Bidirectional(SimpleRNN(3, return_sequences=True),
                                            merge_mode="ave")],
        "bidirectional_mul": [Bidirectional(LSTM(3), merge_mode="mul")],
    }


@pytest.mark.parametrize("case", list(_sequence_models()))
def test_recurrent_layers_match_onnxruntime(case, rng, tmp_path):
    model = Sequential([Input(shape=(7, 3)), *_sequence_models()[case]])
    randomize(model, rng)
    x = rng.normal(size=(5, 7, 3)).astype("float32")
    got, expected = predict_both(model, x, tmp_path)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_embedding_then_lstm_matches_onnxruntime(rng, tmp_path):
    model = Sequential([Input(shape=(6,)), Embedding(12, 4), LSTM(5, return_sequences=True),
                        GlobalAveragePooling1D(), Dense(2, activation="softmax")])
    randomize(model, rng)
    x = rng.integers(0, 12, size=(4, 6)).astype("float32")
    got, expected = predict_both(model, x, tmp_path)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: [Embedding(5, 3, mask_zero=True), LSTM(2)], "mask_zero=True"),
        (lambda: [Embedding(5, 3), LSTM(2, return_state=True)], "return_state=True"),
        (lambda: [Embedding(5, 3), LSTM(2, activation="softplus")], "Supported: tanh, sigmoid"),
        (lambda: [Embedding(5, 3), LSTM(2, return_sequences=True), TimeDistributed(Dropout(0.2))],
         "export supports TimeDistributed(Dense)"),
        (lambda: [Embedding(5, 3, dtype="float64"), GRU(2, dtype="float64")],
         "in float64: ONNX Runtime runs its RNN, LSTM and GRU operators in float32 only"),
    ],
    ids=["mask", "return_state", "activation", "time_distributed_lstm", "float64"],
)
def test_what_cannot_be_exported_is_refused_with_the_reason(make, words, tmp_path):
    layers = make()
    model = Sequential([Input(shape=(4,), dtype=layers[0].dtype), *layers])
    with pytest.raises(ONNXExportError, match=words.replace("(", r"\(").replace(")", r"\)")):
        export_onnx(model, tmp_path / "refused.onnx")
    assert not (tmp_path / "refused.onnx").exists()
