"""A large optimizer step split across threads gives the same bits as one thread."""

from __future__ import annotations

import numpy as np
import pytest

from nnlab import backend
from nnlab.optimizers import Adadelta, Adagrad, Adam, RMSprop


@pytest.mark.parametrize("make", [lambda: Adam(amsgrad=True), lambda: RMSprop(centered=True,
                                  momentum=0.5), Adagrad, Adadelta])
def test_split_update_equals_single_thread(monkeypatch, make):
    rng = np.random.default_rng(0)
    n = backend.PARALLEL_MIN_SIZE * 3 + 17  # large enough to split, not evenly
    W0 = rng.normal(size=n).astype(np.float32)
    grads = [rng.normal(size=n).astype(np.float32) for _ in range(3)]
    results = {}
    for threads in ("1", "3"):
        monkeypatch.setenv("OMP_NUM_THREADS", threads)
        opt, W = make(), W0.copy()
        for g in grads:
            opt.apply([W], [g.copy()])
        assert (opt._parts_cache != {}) == (threads == "3")
        results[threads] = W
    np.testing.assert_array_equal(results["1"], results["3"])
    assert not np.array_equal(results["1"], W0)
