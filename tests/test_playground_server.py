"""The playground server on a real socket: pages, Host/Origin checks, a fuzz of malformed
WebSocket messages, two independent tabs, a closed tab's session ending, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from nnlab.cli import main
from nnlab.playground.server import ServerThread, allowed_hosts, free_port


@pytest.fixture(scope="module")
def server():
    with ServerThread() as srv:
        yield srv


@pytest.fixture(scope="module")
def tab(server):
    """One open tab (WebSocket) shared by the fuzz examples."""
    with _ws(server) as ws:
        _ask(ws, {"type": "init", "fragment": "seed=2&networkShape=2"})
        yield ws


def _ws(server, origin=None):
    url = f"ws://127.0.0.1:{server.port}/ws"
    return connect(url, origin=origin or f"http://127.0.0.1:{server.port}", max_size=2**24,
                   open_timeout=10)


def _ask(ws, msg):
    ws.send(msg if isinstance(msg, (str, bytes)) else json.dumps(msg))
    return json.loads(ws.recv(timeout=30))


def test_page_served_with_playgrounds_labels(server):
    page = httpx.get(server.url)
    assert page.status_code == 200
    for text in ("Epoch", "Training loss", "Test loss", 'id="iter-number"'):
        assert text in page.text
    assert httpx.get(server.url + "static/playground.js").status_code == 200


def test_foreign_host_or_origin_is_refused(server):
    port = server.port
    assert httpx.get(server.url, headers={"Host": f"evil.example:{port}"}).status_code == 403
    assert httpx.get(server.url, headers={"Origin": "http://evil.example"}).status_code == 403
    assert httpx.get(server.url, headers={"Host": f"localhost:{port}"}).status_code == 200
    with pytest.raises(InvalidStatus):
        _ws(server, origin="http://evil.example")
    with pytest.raises(InvalidStatus):
        connect(f"ws://127.0.0.1:{port}/ws", origin=f"http://127.0.0.1:{port}",
                additional_headers={"Host": "attacker.test"}, open_timeout=10)


def test_allowed_hosts_follow_the_bound_address():
    assert allowed_hosts("127.0.0.1", 80) == {"127.0.0.1:80", "localhost:80", "[::1]:80"}
    assert "10.1.2.3:80" in allowed_hosts("10.1.2.3", 80)
    assert "[fe80::1]:80" in allowed_hosts("fe80::1", 80)
    wild = allowed_hosts("0.0.0.0", 80)
    assert "localhost:80" in wild and "evil.example:80" not in wild


MALFORMED = [
    "not json", "[1, 2", "[]", "null", "42", '"init"', "{}", '{"type": 5}',
    '{"type": "launch"}', '{"type": "step"}', '{"type": "step", "epochs": -1}',
    '{"type": "step", "epochs": 1e9}', '{"type": "step", "epochs": true}',
    '{"type": "step", "epochs": "3"}', '{"type": "set", "key": "networkShape", "value": "99"}',
    '{"type": "set", "key": "networkShape", "value": "8,8,8,8,8,8,8,8,8,8,8"}',
    '{"type": "set", "key": "learningRate", "value": NaN}',
    '{"type": "set", "key": "noise", "value": 1e400}',
    '{"type": "set", "key": "__class__", "value": 1}', '{"type": "set", "key": ["x"]}',
    '{"type": "set", "key": "seed", "value": "../../etc/passwd"}',
    '{"type": "set", "key": "x", "value": {"a": 1}}',
    '{"type": "weight", "layer": 99, "source": 0, "dest": 0, "value": 1}',
    '{"type": "weight", "layer": 0, "source": 0, "dest": 0, "value": "1"}',
    '{"type": "bias", "layer": 0, "node": 0, "value": 1e308}',
    '{"type": "hover", "node": [99, 99]}', '{"type": "hover", "node": "x"}',
    '{"type": "upload", "csv": 7}', '{"type": "upload", "csv": "a,b\\n1,2"}',
    '{"type": "export", "what": "/etc/passwd"}', '{"type": "hide", "control": "x"}',
    '{"type": "init", "fragment": 3}', '{"type": "_on_init"}', '{"type": "__init__"}',
    "[" * 5000 + "]" * 5000, json.dumps({"type": "upload", "csv": "x" * 3_100_000}),
]


def test_fuzz_malformed_messages_get_errors_and_the_server_survives(server):
    with _ws(server) as ws:
        assert [r["type"] for r in _ask(ws, {"type": "init", "fragment": "seed=1"})] == [
            "state", "data", "frame"]
        for text in MALFORMED:
            replies = _ask(ws, text)
            assert replies[0]["type"] == "error", text[:60]
            assert replies[0]["message"]
        ws.send(b"\x00\x01binary")
        assert json.loads(ws.recv(timeout=30))[0]["type"] == "error"
        frame = _ask(ws, {"type": "step", "epochs": 2})[0]
        assert frame["type"] == "frame" and frame["epoch"] == 2
    with _ws(server) as ws:  # beyond the frame limit the protocol closes the connection
        ws.send("x" * 5_000_000)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=30)
    with _ws(server) as ws:  # ... and the server goes on
        assert _ask(ws, {"type": "init", "fragment": ""})[0]["type"] == "state"


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(msg=st.dictionaries(
    st.sampled_from(["type", "key", "value", "epochs", "layer", "node", "what", "csv"]),
    st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(),
              st.text(max_size=30), st.sampled_from(["step", "set", "weight", "bias",
                                                     "hover", "export", "init", "upload"]),
              st.lists(st.integers(-3, 40), max_size=4))))
def test_fuzz_random_messages_never_break_the_connection(tab, msg):
    tab.send(json.dumps(msg))  # NaN/Infinity floats are sent as JSON's NaN tokens
    replies = json.loads(tab.recv(timeout=30))
    assert all(r["type"] in ("state", "data", "frame", "file", "error") for r in replies)
    assert _ask(tab, {"type": "step", "epochs": 1})[0]["type"] == "frame"


def test_two_tabs_train_independently_and_a_closed_tab_ends(server):
    before = set(server.registry.sessions)
    with _ws(server) as a, _ws(server) as b:
        _ask(a, {"type": "init", "fragment": "seed=1&dataset=xor"})
        _ask(b, {"type": "init", "fragment": "seed=1&dataset=gauss&learningRate=0.1"})
        assert len(set(server.registry.sessions) - before) == 2
        assert _ask(a, {"type": "step", "epochs": 5})[0]["epoch"] == 5
        frame_b = _ask(b, {"type": "step", "epochs": 1})[0]
        assert frame_b["epoch"] == 1
        states = {s.state.dataset for s in server.registry.sessions.values()}
        assert {"xor", "gauss"} <= states
    deadline = time.monotonic() + 10
    while set(server.registry.sessions) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not set(server.registry.sessions) - before, "closed tabs must end their sessions"


def test_cli_serves_on_127_0_0_1_and_reports_a_busy_port():
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    proc = subprocess.Popen([sys.executable, "-m", "nnlab", "playground", "--no-browser",
                             "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline, page = time.monotonic() + 60, None
        while time.monotonic() < deadline:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert page is not None and page.status_code == 200 and "Training loss" in page.text
        busy = CliRunner().invoke(main, ["playground", "--no-browser", "--port", str(port)])
        assert busy.exit_code == 2 and "choose another --port" in busy.output
    finally:
        proc.terminate()
        proc.wait(timeout=20)
