"""Test setup: NumPy float errors raise, the network is blocked, state is reset."""

from __future__ import annotations

import os

# scikit-learn's estimator checks include check_array_api_input, which it skips unless
# SciPy's array-API mode is on; turn it on (before SciPy is imported) so it runs.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nnlab import backend  # noqa: E402
from nnlab.layers.base import clear_session  # noqa: E402


def pytest_collection_finish(session):
    """Browser tests run, never skip: when a collected test module drives Chromium and
    there is none, install it (Debian's package, as root), as the README promises."""
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    modules = {Path(str(item.path)) for item in session.items}
    if not any("chromium" in m.read_text(encoding="utf-8", errors="ignore") for m in modules):
        return
    capture = session.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        _install_chromium()


def _install_chromium() -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print("\nChromium is missing: install it with `apt-get install chromium` (as root).")
        return
    print("\nInstalling Chromium for the browser tests: apt-get install chromium", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
    ):
        done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=sys.stderr)
        if done.returncode != 0:
            print(f"`{' '.join(command)}` failed (exit {done.returncode}).", flush=True)
            return


@pytest.fixture(autouse=True)
def _strict_numpy():
    old = np.seterr(over="raise", invalid="raise", divide="raise", under="ignore")
    yield
    np.seterr(**old)


_LOOPBACK = ("127.", "localhost", "::1")


def _is_loopback(address) -> bool:
    """True for a loopback (host, port) pair or a Unix socket path."""
    if not isinstance(address, tuple):
        return True  # AF_UNIX path: local by definition
    host = str(address[0])
    return host.startswith(_LOOPBACK)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Only loopback connections (local servers, Dask, Chromium's driver) are allowed."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_create = socket.create_connection

    def refuse(address):
        raise RuntimeError(
            f"Tests run offline: a connection to {address!r} was attempted "
            "(only 127.0.0.1, localhost and ::1 are allowed)."
        )

    def connect(self, address):
        return real_connect(self, address) if _is_loopback(address) else refuse(address)

    def connect_ex(self, address):
        return real_connect_ex(self, address) if _is_loopback(address) else refuse(address)

    def create_connection(address, *args, **kwargs):
        return real_create(address, *args, **kwargs) if _is_loopback(address) else refuse(address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)


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
