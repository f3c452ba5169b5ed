"""Test setup: NumPy float errors raise, the network is blocked, state is reset."""

from __future__ import annotations

import os

# scikit-learn's estimator checks include check_array_api_input, which it skips unless
# SciPy's array-API mode is on; turn it on (before SciPy is imported) so it runs.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import socket  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nnlab import backend  # noqa: E402
from nnlab.layers.base import clear_session  # noqa: E402


@pytest.fixture(autouse=True)
def _strict_numpy():
    old = np.seterr(over="raise", invalid="raise", divide="raise", under="ignore")
    yield
    np.seterr(**old)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("Tests run offline: a network connection was attempted.")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(autouse=True)
def _fresh_session():
    """Each test starts with float32, fresh layer names and a fixed seed stream."""
    clear_session()
    backend.set_floatx("float32")
    backend.set_random_seed(1234)
    yield
    backend.set_floatx("float32")


@pytest.fixture
def float64():
    backend.set_floatx("float64")
    yield
    backend.set_floatx("float32")


@pytest.fixture
def rng():
    return np.random.default_rng(0)
