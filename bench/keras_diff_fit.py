"""Differential checks of issue 14's data-in-fit, EMA and top-k items against real Keras 3.

`python bench/keras_diff.py` runs them with its own checks (`-k pydataset`, `-k ema`,
`-k top_k` select them); each returns (largest difference, what was compared[, tol]).
The helpers (`_keras`, `_build`, `_diff`, `ADAM`) are keras_diff's.
"""

from __future__ import annotations

import warnings

import numpy as np
from keras_diff import ADAM, _build, _data, _diff, _keras

import nnlab

CHECKS: list = []


def check(fn):
    CHECKS.append(fn)
    return fn


def _sequence(base, x, y, size, sw=None):
    """A PyDataset subclass of `base` (keras's or nnlab's) giving rows [size i, size i + size)."""

    class Rows(base):
        def __init__(self):
            super().__init__()

        def __len__(self):
            return -(-len(x) // size)

        def __getitem__(self, i):
            rows = slice(i * size, (i + 1) * size)
            return (x[rows], y[rows]) if sw is None else (x[rows], y[rows], sw[rows])

    return Rows()


def _weights_diff(nm, km) -> float:
    return max(_diff(a, b) for a, b in zip(nm.get_weights(), km.get_weights()))


@check
def pydataset_steps_per_epoch():
    """A PyDataset with steps_per_epoch (the pass goes on across epochs, one epoch runs
    out of data), a PyDataset as validation_data with validation_steps, and a generator
    with steps_per_epoch: the same epoch losses and weights."""
    keras = _keras()
    x, y = _data("regression", n=40, c=2)
    sw = np.random.default_rng(5).random(40)
    km, nm = _build([(5, "tanh"), (2, None)], 4)
    km.compile(keras.optimizers.Adam(0.0625, **ADAM), "mse", metrics=["mae"])
    nm.compile(nnlab.optimizers.Adam(0.0625, **ADAM), "mse", metrics=["mae"])
    kw = dict(epochs=3, steps_per_epoch=2, shuffle=False, verbose=0, validation_steps=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn that the input ran out of data
        hk = km.fit(_sequence(keras.utils.PyDataset, x, y, 16, sw),
                    validation_data=_sequence(keras.utils.PyDataset, x, y, 8), **kw).history
        hn = nm.fit(_sequence(nnlab.utils.PyDataset, x, y, 16, sw),
                    validation_data=_sequence(nnlab.utils.PyDataset, x, y, 8),
                    gradient_health=False, **kw).history
    if sorted(hk) != sorted(hn) or any(len(hk[k]) != len(hn[k]) for k in hk):
        return float("inf"), f"history differs: keras {hk}, nnlab {hn}"
    worst = max([_weights_diff(nm, km)] + [_diff(hn[k], v) for k, v in hk.items()])

    def batches():  # 6 batches of 8 rows, the last one wrapping to the start
        for i in range(6):
            start = (8 * i) % 40
            yield x[start:start + 8], y[start:start + 8]

    hk = km.fit(batches(), epochs=2, steps_per_epoch=3, verbose=0).history
    hn = nm.fit(batches(), epochs=2, steps_per_epoch=3, verbose=0, gradient_health=False).history
    worst = max([worst, _weights_diff(nm, km)] + [_diff(hn[k], v) for k, v in hk.items()])
    return worst, "PyDataset 3 epochs x 2 steps (+ validation_steps), generator 2 x 3 steps"


@check
def optimizers_ema_in_fit():
    """use_ema with and without ema_overwrite_frequency: losses per epoch and the final
    weights (the averages, put in by fit's finalize_variable_values)."""
    keras = _keras()
    x, y = _data("categorical", n=40)
    worst = 0.0
    for freq in (None, 3):
        kargs = dict(use_ema=True, ema_momentum=0.875, ema_overwrite_frequency=freq)
        km, nm = _build([(6, "tanh"), (3, "softmax")], 4)
        km.compile(keras.optimizers.Adam(0.0625, **ADAM, **kargs), "categorical_crossentropy")
        nm.compile(nnlab.optimizers.Adam(0.0625, **ADAM, **kargs), "categorical_crossentropy")
        hk = km.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
        hn = nm.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0,
                    gradient_health=False).history
        worst = max(worst, _diff(hn["loss"], hk["loss"]), _weights_diff(nm, km))
    return worst, "Adam with EMA, overwrite never / every 3 steps, 3 epochs x 5 steps"


@check
def precision_recall_top_k():
    """Precision / Recall with top_k and class_id as compile metrics, streamed over
    batches of 7 in evaluate with sample weights; and with threshold lists (one value per
    threshold; evenly spread ones use Keras's bucketing) through update_state."""
    keras = _keras()
    x, _ = _data("categorical", n=30, c=4)
    rng = np.random.default_rng(9)
    y = (rng.random((30, 4)) > 0.6).astype(float)  # several labels per row
    sw = rng.random(30)
    specs = [("p_top2", "Precision", dict(top_k=2)),
             ("r_top1_c2", "Recall", dict(top_k=1, class_id=2)),
             ("p_c1", "Precision", dict(class_id=1, thresholds=0.375)),
             ("r_top3_c0", "Recall", dict(top_k=3, class_id=0, thresholds=0.25))]
    km, nm = _build([(4, "sigmoid")], 4)
    for model, lib in ((km, keras), (nm, nnlab)):
        metrics = [getattr(lib.metrics, cls)(name=name, **kw) for name, cls, kw in specs]
        model.compile("sgd", "binary_crossentropy", metrics=metrics)
    dk = km.evaluate(x, y, sample_weight=sw, batch_size=7, verbose=0, return_dict=True)
    dn = nm.evaluate(x, y, sample_weight=sw, batch_size=7, verbose=0, return_dict=True)
    if sorted(dk) != sorted(dn):
        return float("inf"), f"keys differ: keras {sorted(dk)}, nnlab {sorted(dn)}"
    worst = max(_diff(dn[k], v) for k, v in dk.items())
    p = nm.predict(x, verbose=0)
    for cls in ("Precision", "Recall"):
        for kw in (dict(thresholds=[0.0, 0.25, 0.5, 0.75, 1.0]),
                   dict(class_id=3, thresholds=[0.125, 0.5, 0.625])):
            mk, mn = getattr(keras.metrics, cls)(**kw), getattr(nnlab.metrics, cls)(**kw)
            for start in range(0, 30, 7):
                rows = slice(start, start + 7)
                mk.update_state(y[rows], p[rows], sample_weight=sw[rows])
                mn.update_state(y[rows], p[rows], sample_weight=sw[rows])
            worst = max(worst, _diff(mn.result(), np.asarray(mk.result())))
    return worst, f"evaluate keys {sorted(dk)}; 2 threshold lists x 2 metrics"
