"""The playground's local web server: Starlette + uvicorn, one WebSocket per tab.

- `GET /` serves the page, `/static/*` its script and style (shipped in the package; nothing
  is fetched from the internet).
- `WS /ws` carries JSON messages (see `nnlab.playground.session`); each connection owns
  one `Session`, so two tabs train independently, and a closed tab's session ends with its
  connection (the page drives training one step at a time, so nothing runs without it).
- Safety: the server binds 127.0.0.1 unless told otherwise and answers 403 to any request
  whose Host is not the server's own address or whose Origin is another site (DNS
  rebinding, cross-site WebSocket). Messages are size-bounded, and a malformed message
  gets an `{"type": "error"}` reply; the connection and the server stay up.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from importlib import resources

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from nnlab.playground.session import Session

MAX_MESSAGE_BYTES = 3_000_000  # an uploaded CSV (2 MB) plus JSON quoting
WS_MAX_FRAME = 4_000_000  # larger frames are refused by uvicorn itself (close code 1009)
STATIC = resources.files("nnlab.playground") / "static"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def allowed_hosts(host: str, port: int) -> set[str]:
    """The Host header values this server answers: its loopback names (and `host` itself).

    Example:
        >>> sorted(allowed_hosts("127.0.0.1", 8765))
        ['127.0.0.1:8765', '[::1]:8765', 'localhost:8765']
    """
    names = set(LOOPBACK_NAMES)
    if host in ("0.0.0.0", "::"):  # every interface: this machine's own name and addresses
        names |= _own_addresses()
    elif host not in ("127.0.0.1", "localhost", "::1"):
        names.add(host)
    return {f"[{n}]:{port}" if ":" in n and not n.startswith("[") else f"{n}:{port}"
            for n in names}


def _own_addresses() -> set[str]:
    """This machine's host name and the addresses it resolves to (no network traffic
    beyond the local resolver)."""
    name = socket.gethostname()
    names = {name}
    try:
        names |= {info[4][0] for info in socket.getaddrinfo(name, None)}
    except OSError:
        pass
    return names


class HostOriginGuard:
    """ASGI middleware: 403 unless Host is ours and Origin (when sent) is http://<ours>."""

    def __init__(self, app, hosts: set[str]):
        self.app, self.hosts = app, hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            host = headers.get("host", "")
            origin = headers.get("origin")
            if host not in self.hosts or (origin is not None and origin not in
                                          {f"http://{h}" for h in self.hosts}):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                response = PlainTextResponse("Forbidden: foreign Host or Origin.", 403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _index(request):
    return FileResponse(str(STATIC / "index.html"), headers={"Cache-Control": "no-store"})


class Registry:
    """The open sessions (one per connected tab), for the status line and for tests."""

    def __init__(self):
        self.sessions: dict[int, Session] = {}
        self.lock = threading.Lock()


def create_app(host: str = "127.0.0.1", port: int = 8765, registry: Registry | None = None):
    """The Starlette application for a server listening on `host`:`port`."""
    registry = registry or Registry()

    async def ws_endpoint(websocket: WebSocket):
        await websocket.accept()
        session = Session()
        with registry.lock:
            registry.sessions[id(session)] = session
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    replies = [{"type": "error", "message": "Send JSON text, not binary frames."}]
                else:
                    replies = await _reply(session, text)
                try:
                    out = json.dumps(replies, allow_nan=False)
                except ValueError:
                    out = json.dumps([{"type": "error", "message": "The reply held a non-finite "
                                       "number; reset the network."}])
                await websocket.send_text(out)
        except WebSocketDisconnect:
            pass
        finally:
            with registry.lock:
                registry.sessions.pop(id(session), None)

    app = Starlette(routes=[
        Route("/", _index),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
        WebSocketRoute("/ws", ws_endpoint),
    ])
    app.state.registry = registry
    return HostOriginGuard(app, allowed_hosts(host, port))


async def _reply(session: Session, text: str) -> list[dict]:
    """The replies to one message; a bad message gets one error reply."""
    if len(text) > MAX_MESSAGE_BYTES:
        return [{"type": "error", "message": f"Message too large ({len(text)} bytes); the "
                 f"limit is {MAX_MESSAGE_BYTES} (uploads: 2 MB)."}]
    try:
        msg = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        return [{"type": "error", "message": f"Not JSON: {str(exc)[:200]}"}]
    try:
        return await run_in_threadpool(session.handle, msg)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        return [{"type": "error", "message": " ".join(str(exc).split())[:500]}]
    except Exception as exc:  # the server must survive any message
        return [{"type": "error", "message": f"Internal error ({type(exc).__name__}): "
                 f"{' '.join(str(exc).split())[:300]}"}]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on `host` right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ServerThread:
    """Run the playground server in a background thread (tests, notebooks).

    Example:
        >>> with ServerThread() as server:
        ...     server.url.startswith("http://127.0.0.1:")
        True
    """

    def __init__(self, host: str = "127.0.0.1", port: int | None = None):
        import uvicorn

        self.host, self.port = host, port or free_port(host)
        self.registry = Registry()
        config = uvicorn.Config(create_app(self.host, self.port, self.registry), host=self.host,
                                port=self.port, log_level="warning", ws_max_size=WS_MAX_FRAME,
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"The playground server did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = True) -> None:
    """Serve the playground until Ctrl+C (what `nnlab playground` runs)."""
    import uvicorn

    url = f"http://{'localhost' if host in ('0.0.0.0', '::') else host}:{port}/"
    if open_browser:
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    print(f"nnlab playground on {url} (Ctrl+C stops it)", flush=True)
    uvicorn.run(create_app(host, port), host=host, port=port, log_level="warning",
                ws_max_size=WS_MAX_FRAME)
