"""``qwen-lsp playground``: the browser playground, served by one process on loopback.

The page (Monaco, built from ``editors/web`` into ``static/`` and shipped in the package, so no
npm is needed at run time) and the language server's WebSocket share one port: the websockets
server's ``process_request`` hook answers plain HTTP GETs with the static files and lets WebSocket
handshakes on ``/lsp`` through to a fresh LSP session (``transport.serve_ws``).

WebSocket handshakes are accepted only from the page itself: the ``Host`` must be the loopback
address being served and the ``Origin`` (when a browser sends one) must be this server, so that
another web site open in the same browser cannot drive the language server (nor reach it by DNS
rebinding).
"""

from __future__ import annotations

import json
import mimetypes
import sys
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

STATIC = Path(__file__).parent / "static"
LSP_PATH = "/lsp"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".ttf": "font/ttf",
}


class PlaygroundError(Exception):
    """The playground cannot start (its page is missing, bad settings)."""


def load_settings(value: str | None) -> dict[str, Any]:
    """``--settings``: a JSON object, or the path of a file holding one."""
    if not value:
        return {}
    text = value
    if not value.lstrip().startswith("{"):
        try:
            text = Path(value).read_text(encoding="utf-8")
        except OSError as exc:
            raise PlaygroundError(f"cannot read settings file {value}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PlaygroundError(f"settings are not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PlaygroundError("settings must be a JSON object")
    return data


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def make_process_request(
    settings: dict[str, Any], port_of: Callable[[], int], host: str = "127.0.0.1"
) -> Callable[[Any, Any], Any]:
    """The websockets ``process_request`` hook: static files and ``config.json`` for plain GETs,
    ``None`` (go on with the handshake) for WebSocket upgrades to :data:`LSP_PATH` from the page."""
    from websockets.datastructures import Headers
    from websockets.http11 import Response

    config = json.dumps({"initializationOptions": settings, "lspPath": LSP_PATH}).encode()

    def respond(status: HTTPStatus, body: bytes, content_type: str) -> Response:
        headers = Headers(
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-cache"),
                ("X-Content-Type-Options", "nosniff"),
            ]
        )
        return Response(status.value, status.phrase, headers, body)

    def process_request(connection: Any, request: Any) -> Response | None:
        host_header = request.headers.get("Host", "")
        if _is_loopback(host) and host_header not in {f"{n}:{port_of()}" for n in LOOPBACK_NAMES}:
            # A page of another site reaching this port through DNS rebinding.
            return respond(HTTPStatus.FORBIDDEN, b"unexpected Host header\n", "text/plain")
        path = urlsplit(request.path).path
        if request.headers.get("Upgrade", "").lower() == "websocket":
            origin = request.headers.get("Origin")
            if path != LSP_PATH:
                return respond(
                    HTTPStatus.NOT_FOUND, b"the language server is at /lsp\n", "text/plain"
                )
            if origin is not None and urlsplit(origin).netloc != host_header:
                return respond(
                    HTTPStatus.FORBIDDEN, b"cross-origin WebSocket refused\n", "text/plain"
                )
            return None
        if path == "/config.json":
            return respond(HTTPStatus.OK, config, _TYPES[".json"])
        name = "index.html" if path in ("", "/") else path.lstrip("/")
        file = (STATIC / name).resolve()
        if STATIC.resolve() not in file.parents or not file.is_file():
            return respond(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
        content_type = _TYPES.get(file.suffix) or (
            mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        )
        return respond(HTTPStatus.OK, file.read_bytes(), content_type)

    return process_request


def run_playground(
    host: str,
    port: int,
    settings: dict[str, Any],
    open_browser: bool = False,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve the page and the language server on ``host:port`` until interrupted."""
    from ..core import Core
    from ..server import build_server
    from ..transport import serve_ws

    if not (STATIC / "index.html").is_file() or not (STATIC / "app.js").is_file():
        raise PlaygroundError(
            f"the playground page is missing from {STATIC} (build it: cd editors/web && npm ci "
            "&& npm run build)"
        )
    bound = {"port": port}
    core = Core()

    def ready(bound_host: str, bound_port: int) -> None:
        bound["port"] = bound_port
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        url = f"http://{shown}:{bound_port}/"
        (announce or _print)(
            f"qwen-lsp playground on {url} (language server on ws://{shown}:{bound_port}{LSP_PATH})"
        )
        if open_browser:
            import webbrowser

            webbrowser.open(url)

    try:
        serve_ws(
            lambda: build_server(core),
            host,
            port,
            ready=ready,
            process_request=make_process_request(settings, lambda: bound["port"], host),
        )
    finally:
        core.close()


def _print(line: str) -> None:
    print(line, file=sys.stdout, flush=True)
