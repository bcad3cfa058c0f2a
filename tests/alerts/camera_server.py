"""A real HTTP server on loopback that speaks the Hikvision ISAPI and Dahua CGI audio endpoints.

It stands in for a camera's loudspeaker (the hardware is missing here): HTTP digest auth as the
devices do it, the vendor paths and answers, and a record of every request it accepted, including
the audio bytes and their content type. ``behaviour`` makes it misbehave: "slow" answers after
``delay_s``, "missing" answers 404 to every vendor path (a model without the feature).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

REALM = "IP Camera(binwatch-test)"


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    content_type: str
    body: bytes


@dataclass
class CameraServer:
    username: str = "admin"
    password: str = "12345abc"
    behaviour: str = "ok"  # ok / slow / missing
    delay_s: float = 3.0
    received: list[Received] = field(default_factory=list)
    unauthorized: int = 0

    def __post_init__(self) -> None:
        self._nonce = secrets.token_hex(16)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server._handle(self)

            def do_PUT(self) -> None:
                server._handle(self)

            def do_POST(self) -> None:
                server._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # ---- protocol --------------------------------------------------------------------------------

    def _authorized(self, h: BaseHTTPRequestHandler) -> bool:
        header = h.headers.get("Authorization", "")
        if not header.startswith("Digest "):
            return False
        f = dict(re.findall(r'(\w+)="?([^",]+)"?', header[7:]))
        if f.get("username") != self.username or f.get("nonce") != self._nonce or f.get("realm") != REALM:
            return False
        ha1 = hashlib.md5(f"{self.username}:{REALM}:{self.password}".encode()).hexdigest()
        ha2 = hashlib.md5(f"{h.command}:{f.get('uri', '')}".encode()).hexdigest()
        want = hashlib.md5(f"{ha1}:{self._nonce}:{f.get('nc')}:{f.get('cnonce')}:auth:{ha2}".encode()).hexdigest()
        return f.get("response") == want and f.get("uri") == h.path

    def _body(self, h: BaseHTTPRequestHandler) -> bytes:
        if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(h.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    h.rfile.readline()
                    return bytes(out)
                out += h.rfile.read(size)
                h.rfile.readline()
        n = int(h.headers.get("Content-Length", "0") or 0)
        return h.rfile.read(n) if n else b""

    def _reply(self, h: BaseHTTPRequestHandler, status: int, body: str, ctype: str = "application/xml") -> None:
        data = body.encode()
        h.send_response(status)
        if status == 401:
            h.send_header(
                "WWW-Authenticate", f'Digest realm="{REALM}", qop="auth", nonce="{self._nonce}", algorithm=MD5'
            )
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        body = self._body(h)
        if not self._authorized(h):
            self.unauthorized += 1
            self._reply(h, 401, "<ResponseStatus><statusString>Unauthorized</statusString></ResponseStatus>")
            return
        parts = urlsplit(h.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if self.behaviour == "slow":
            time.sleep(self.delay_s)
        if self.behaviour == "missing":
            self._reply(h, 404, "<ResponseStatus><statusString>Invalid Operation</statusString></ResponseStatus>")
            return
        path = parts.path
        rec = Received(h.command, path, query, h.headers.get("Content-Type", ""), body)
        if re.fullmatch(r"/ISAPI/Event/triggers/notifications/AudioAlarm/\d+/test", path) and h.command == "PUT":
            self.received.append(rec)
            self._reply(h, 200, '{"statusCode":1,"statusString":"OK"}', "application/json")
        elif re.fullmatch(r"/ISAPI/System/TwoWayAudio/channels/\d+/open", path):
            self.received.append(rec)
            self._reply(h, 200, "<TwoWayAudioSession><sessionId>s42</sessionId></TwoWayAudioSession>")
        elif re.fullmatch(r"/ISAPI/System/TwoWayAudio/channels/\d+/(audioData|close)", path):
            self.received.append(rec)
            self._reply(h, 200, "<ResponseStatus><statusString>OK</statusString></ResponseStatus>")
        elif (path == "/cgi-bin/coaxialControlIO.cgi" and h.command == "GET") or (
            path == "/cgi-bin/audio.cgi" and query.get("action") == "postAudio" and h.command == "POST"
        ):
            self.received.append(rec)
            self._reply(h, 200, "OK\r\n", "text/plain")
        else:
            self._reply(h, 404, "<ResponseStatus><statusString>Invalid Operation</statusString></ResponseStatus>")


@dataclass
class WebhookServer:
    """A platform endpoint: records JSON POSTs and answers ``status``; with ``echo`` (a header name) its
    answer quotes that header's value, as gateways do that say which key they refused."""

    status: int = 200
    echo: str | None = None
    received: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        import json

        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length", "0"))
                server.received.append({"headers": dict(self.headers), "json": json.loads(self.rfile.read(n))})
                body = b"{}" if server.echo is None else f"unknown token {self.headers.get(server.echo)}".encode()
                self.send_response(server.status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
