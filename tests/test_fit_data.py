"""fit / evaluate / predict on PyDataset-like sequences and generators, and
steps_per_epoch / validation_steps / steps, as Keras 3 counts them (nnlab.data_adapters).

The batch counts per epoch and the data's on_epoch_begin / on_epoch_end calls were
printed by Keras 3.15.1 (TensorFlow backend) for the same settings; bench/keras_diff.py
compares losses and weights with Keras live.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nnlab import optimizers as O
from nnlab.callbacks import Callback
from nnlab.divergence import DivergenceWarning
from nnlab.layers import Dense, Input
from nnlab.models import Sequential
from nnlab.utils import PyDataset

pytestmark = pytest.mark.usefixtures("float64")
RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3))
Y = (X @ np.array([[1.0], [2.0], [-1.0]]) > 0).astype(float)
SW = RNG.random(40)


def _model(lr=0.125):
    model = Sequential([Input(shape=(3,)), Dense(4, activation="tanh"),
                        Dense(1, activation="sigmoid")])
    model.set_weights([np.linspace(-1, 1, 12).reshape(3, 4), np.zeros(4),
                       np.linspace(1, -1, 4).reshape(4, 1), np.zeros(1)])
    model.compile(O.Adam(lr), "binary_crossentropy", metrics=["accuracy"])
    return model


class Batches(PyDataset):
    """Rows [16 i, 16 i + 16) as batch i, optionally with sample weights."""

    def __init__(self, size=16, weights=False, **kwargs):
        super().__init__(**kwargs)
        self.size, self.weights = size, weights
        self.begins = self.ends = 0

    def __len__(self):
        return -(-len(X) // self.size)

    def __getitem__(self, i):
        rows = slice(i * self.size, (i + 1) * self.size)
        return (X[rows], Y[rows], SW[rows]) if self.weights else (X[rows], Y[rows])

    def on_epoch_begin(self):
        self.begins += 1

    def on_epoch_end(self):
        self.ends += 1


class DuckSequence:
    """No PyDataset base class: __len__ and __getitem__ are enough."""

    def __len__(self):
        return 3

    def __getitem__(self, i):
        return X[16 * i: 16 * i + 16], Y[16 * i: 16 * i + 16]


def _generator(passes=3, weights=False):
    for _ in range(passes):
        for i in range(0, 40, 16):
            yield (X[i:i + 16], Y[i:i + 16]) + ((SW[i:i + 16],) if weights else ())


class BatchCounter(Callback):
    def on_train_begin(self, logs=None):
        self.counts = []

    def on_epoch_begin(self, epoch, logs=None):
        self.counts.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.counts[-1] += 1


def _same_weights(a, b):
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


@pytest.mark.parametrize("weights", [False, True])
def test_sequence_and_generator_train_bit_identically_to_arrays(weights):
    kw = dict(epochs=3, verbose=0)
    ref = _model()
    h_ref = ref.fit(X, Y, batch_size=16, shuffle=False, sample_weight=SW if weights else None,
                    **kw)
    seq = _model()
    h_seq = seq.fit(Batches(weights=weights), shuffle=False, **kw)
    gen = _model()
    h_gen = gen.fit(_generator(weights=weights), steps_per_epoch=3, **kw)
    duck = _model()
    duck.fit(DuckSequence(), shuffle=False, **kw)
    _same_weights(ref, seq)
    _same_weights(ref, gen)
    if not weights:
        _same_weights(ref, duck)
    assert h_ref.history == h_seq.history == h_gen.history
    assert h_seq.params["steps"] == 3


def test_steps_per_epoch_continues_the_pass_across_epochs_as_keras():
    # Keras 3.15.1, 3 batches per pass, steps_per_epoch=2, 3 epochs: [2, 1, 2] batches,
    # "ran out of data" warned in epoch 2; on_epoch_begin 3 times, on_epoch_end 4 times.
    data, counter = Batches(), BatchCounter()
    model = _model()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(data, epochs=3, steps_per_epoch=2, shuffle=False, verbose=0,
                            callbacks=[counter])
    assert counter.counts == [2, 1, 2] and history.params["steps"] == 2
    assert (data.begins, data.ends) == (3, 4)
    ref = _model()  # the same five steps, one batch at a time
    for i in (0, 1, 2, 0, 1):
        ref.train_on_batch(*Batches()[i])
    _same_weights(ref, model)


def test_steps_per_epoch_with_arrays_as_keras():
    # Keras 3.15.1: arrays of 3 batches, steps_per_epoch=5 -> every epoch stops after 3.
    counter = BatchCounter()
    with pytest.warns(UserWarning, match="ran out of data"):
        _model().fit(X, Y, batch_size=16, epochs=2, steps_per_epoch=5, verbose=0,
                     callbacks=[counter])
    assert counter.counts == [3, 3]
    counter = BatchCounter()
    a, b = _model(), _model()
    with pytest.warns(UserWarning, match="ran out of data"):
        a.fit(X, Y, batch_size=16, epochs=3, steps_per_epoch=2, seed=4, verbose=0,
              callbacks=[counter])
        b.fit(X, Y, batch_size=16, epochs=3, steps_per_epoch=2, seed=4, verbose=0)
    assert counter.counts == [2, 1, 2]
    _same_weights(a, b)  # same seed, same bits


def test_shuffled_sequence_is_seeded():
    a, b, c = _model(), _model(), _model()
    for m, seed in ((a, 1), (b, 1), (c, 2)):
        m.fit(Batches(), epochs=2, seed=seed, verbose=0)
    _same_weights(a, b)
    assert any(not np.array_equal(p, q) for p, q in zip(a.get_weights(), c.get_weights()))


def test_a_generator_is_read_once():
    with pytest.raises(ValueError, match="read 2 times, but a generator can be read only once"):
        _model().fit(_generator(), epochs=2, verbose=0)
    model, counter = _model(), BatchCounter()
    history = model.fit(_generator(passes=1), verbose=0, callbacks=[counter])
    assert counter.counts == [3] and history.params["steps"] is None
    # steps_per_epoch asks more than the generator has: it warns, then fit stops
    counter = BatchCounter()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = _model().fit(_generator(passes=1), epochs=4, steps_per_epoch=2, verbose=0,
                               callbacks=[counter])
    assert counter.counts == [2, 1] and len(history.history["loss"]) == 2


def test_validation_data_as_a_sequence_with_validation_steps():
    model = _model()
    history = model.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0,
                        validation_data=Batches(size=8), validation_steps=2)
    ref = _model()
    ref.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0,
            validation_data=(X[:16], Y[:16]), validation_batch_size=8)
    assert history.history == ref.history.history
    with pytest.raises(ValueError, match="validation_data=<a generator> would be read 2 times"):
        _model().fit(X, Y, epochs=2, verbose=0, validation_data=_generator())


def test_evaluate_and_predict_take_sequences_generators_and_steps():
    model = _model()
    whole = model.evaluate(X, Y, batch_size=16, verbose=0)
    assert model.evaluate(Batches(), verbose=0) == whole
    assert model.evaluate(_generator(passes=1), verbose=0) == whole
    first_two = model.evaluate(X[:32], Y[:32], batch_size=16, verbose=0)
    assert model.evaluate(Batches(), steps=2, verbose=0) == first_two
    assert model.evaluate(X, Y, batch_size=16, steps=2, verbose=0) == first_two
    p = model.predict(X, verbose=0)
    np.testing.assert_array_equal(model.predict(Batches(), verbose=0), p)
    np.testing.assert_array_equal(model.predict(_generator(passes=1), verbose=0), p)
    np.testing.assert_array_equal(model.predict(Batches(), steps=1, verbose=0), p[:16])
    np.testing.assert_array_equal(model.predict(X, batch_size=16, steps=2, verbose=0), p[:32])


def test_initial_epoch_class_weight_and_progress_work_with_sequences(capsys):
    a, b = _model(), _model()
    ha = a.fit(Batches(), epochs=3, initial_epoch=1, shuffle=False, verbose=2,
               class_weight={0: 0.5, 1: 2.0})
    b.fit(X, Y, batch_size=16, epochs=3, initial_epoch=1, shuffle=False, verbose=0,
          class_weight={0: 0.5, 1: 2.0})
    _same_weights(a, b)
    assert len(ha.history["loss"]) == 2 and "Epoch 3/3" in capsys.readouterr().out
    _model().fit(_generator(passes=1), verbose=1)  # unknown length: counts the steps
    assert "3/3 [" in capsys.readouterr().out


def test_the_divergence_guard_stops_a_sequence_fit():
    model = _model(lr=1e6)
    with pytest.warns(DivergenceWarning):
        history = model.fit(Batches(), epochs=5, shuffle=False, verbose=0)
    assert history.diverged is not None
    assert all(np.isfinite(w).all() for w in model.get_weights())


@pytest.mark.parametrize("data, kwargs, match", [
    (Batches(), dict(batch_size=8), "`batch_size` must not be passed to fit"),
    (Batches(), dict(y=Y), "`y` must not be passed to fit.*an array of shape"),
    (Batches(), dict(validation_split=0.2), "validation_split works only with array data"),
    (_generator(), dict(class_weight={0: 1.0}), "class_weight` is not supported for Python"),
    (Batches(), dict(steps_per_epoch=0), "steps_per_epoch must be None or an int >= 1"),
    (X, dict(y=Y, validation_steps=1.5), "validation_steps must be None or an int >= 1"),
])
def test_bad_arguments_are_refused_at_fit_entry(data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        _model().fit(data, verbose=0, **kwargs)


def test_bad_batches_are_refused_clearly():
    class Broken(PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return {"x": X}

    with pytest.raises(ValueError, match="must give each batch as a tuple"):
        _model().fit(Broken(), verbose=0)
    with pytest.raises(ValueError, match="yielded no batch"):
        _model().fit(iter([]), verbose=0)
    with pytest.raises(ValueError, match="batch_size` must not be passed to evaluate"):
        _model().evaluate(Batches(), batch_size=4, verbose=0)


def test_pydataset_keeps_keras_arguments():
    data = Batches(workers=4, use_multiprocessing=True, max_queue_size=3)
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (4, True, 3)
    assert data.num_batches == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _model().fit(data, verbose=0, shuffle=False)


def test_an_endless_sequence_needs_steps_per_epoch():
    class Endless(PyDataset):
        @property
        def num_batches(self):
            return None

        def __getitem__(self, i):
            rows = slice((16 * i) % 32, (16 * i) % 32 + 16)
            return X[rows], Y[rows]

    with pytest.raises(ValueError, match="endless .* Pass steps_per_epoch="):
        _model().fit(Endless(), verbose=0)
    counter = BatchCounter()
    _model().fit(Endless(), epochs=2, steps_per_epoch=3, verbose=0, callbacks=[counter])
    assert counter.counts == [3, 3]
