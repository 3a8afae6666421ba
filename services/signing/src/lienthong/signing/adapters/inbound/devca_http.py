"""The development CA on HTTP: its RFC 3161 time-stamping authority and its CRLs, for `make run` and tests.

    POST /tsa        application/timestamp-query → application/timestamp-reply (RFC 3161 §3.4)
    GET  /crl        the issuing CA's current CRL (DER, application/pkix-crl)
    GET  /root-crl   the root's CRL

A standard-library threaded HTTP server: a development TSA answers a handful of requests a second, and
the signing service needs no web framework for it. Production uses a real TSA (LIENTHONG_SIGNING_TSA_URL).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority

# A timestamp query is a hash and a nonce: a few hundred bytes. Anything much larger is not one.
MAX_QUERY_BYTES = 16 * 1024


class DevCaHttpServer:
    """Serves `ca` on `host:port` (port 0 picks a free one) in a background thread until `close()`."""

    def __init__(self, ca: DevCertificateAuthority, host: str = "127.0.0.1", port: int = 0) -> None:
        handler = _handler_for(ca)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="devca-http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/tsa"

    def start(self) -> DevCaHttpServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler_for(ca: DevCertificateAuthority) -> type[BaseHTTPRequestHandler]:
    crls: dict[str, Callable[[], x509.CertificateRevocationList]] = {"/crl": ca.crl, "/root-crl": ca.root_crl}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != "/tsa":
                self._answer(HTTPStatus.NOT_FOUND, b"", "text/plain")
                return
            length = int(self.headers.get("Content-Length") or 0)
            if self.headers.get("Content-Type") != "application/timestamp-query" or not 0 < length <= MAX_QUERY_BYTES:
                self._answer(HTTPStatus.BAD_REQUEST, b"expected an application/timestamp-query", "text/plain")
                return
            try:
                query = tsp.TimeStampReq.load(self.rfile.read(length))
                query.native  # noqa: B018 (asn1crypto parses lazily: this makes a malformed query fail here)
                reply = ca.timestamper().request_tsa_response(query)
            except ValueError:
                self._answer(HTTPStatus.BAD_REQUEST, b"malformed timestamp query", "text/plain")
                return
            self._answer(HTTPStatus.OK, reply.dump(), "application/timestamp-reply")

        def do_GET(self) -> None:
            crl = crls.get(self.path)
            if crl is None:
                self._answer(HTTPStatus.NOT_FOUND, b"", "text/plain")
                return
            self._answer(HTTPStatus.OK, crl().public_bytes(serialization.Encoding.DER), "application/pkix-crl")

        def _answer(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the service logs JSON; http.server's stderr lines would only be noise

    return Handler
