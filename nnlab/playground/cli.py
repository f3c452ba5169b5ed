"""`nnlab playground`: start the local playground server and open the page."""

from __future__ import annotations

import click


@click.command("playground")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True,
              help="TCP port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Keep 127.0.0.1 unless you mean to serve other machines.")
@click.option("--no-browser", is_flag=True, help="Do not open the page in a browser.")
def playground(port: int, host: str, no_browser: bool) -> None:
    """TensorFlow Playground in the browser, trained by nnlab's engine.

    Example: nnlab playground --no-browser --port 8765, then open http://127.0.0.1:8765/
    """
    import socket

    from nnlab.playground.server import serve

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.bind((host, port))
    except OSError as exc:
        raise click.UsageError(f"cannot listen on {host}:{port} ({exc.strerror}); "
                               "choose another --port or --host") from None
    serve(host=host, port=port, open_browser=not no_browser)
