"""Test setup: NumPy float errors raise, the network is blocked, state is reset."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from nnlab import backend
from nnlab.layers.base import clear_session


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
