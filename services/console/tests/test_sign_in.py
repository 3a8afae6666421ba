"""Who the console says is signed in, in each mode: the dev sign-in page, an OIDC proxy's header, a
TLS-terminating proxy's client certificate; a proxy mode with no header named refuses to start."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.testclient import TestClient

from lienthong.console.adapters.inbound.app import create_app
from lienthong.console.adapters.inbound.settings import ConsoleMisconfigured, ConsoleSettings
from lienthong.console.adapters.outbound.backends import Backends
from lienthong.grpcserver.authentication import ACTOR_METADATA_KEY
from lienthong.grpcserver.principals import principal_uri


def client(tmp_path: Path, **env: str) -> Iterator[TestClient]:
    settings = ConsoleSettings.from_env({"LIENTHONG_DATA_DIR": str(tmp_path), **env})
    # No page under test calls a service: credentials that would reach none are enough.
    backends = Backends(lambda _: grpc.ssl_channel_credentials(), on_behalf=settings.sign_in.value != "dev")
    with TestClient(create_app(settings, backends), follow_redirects=False) as opened:
        yield opened


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[TestClient]:
    yield from client(tmp_path)


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[TestClient]:
    yield from client(tmp_path, LIENTHONG_CONSOLE_SIGN_IN="header", LIENTHONG_CONSOLE_PRINCIPAL_HEADER="X-Principal")


def test_dev_sign_in_sets_the_principal_and_refuses_a_malformed_one_in_vietnamese(dev: TestClient) -> None:
    first = dev.get("/search?q=x")
    assert first.status_code == 303
    assert first.headers["location"].endswith("/sign-in?next=%2Fsearch%3Fq%3Dx")

    refused = dev.post("/sign-in", data={"role": "auditor", "agency": "UBND"})
    assert refused.status_code == 400
    assert "không phải là một chủ thể hợp lệ" in refused.text
    assert dev.get("/").status_code == 303  # still nobody

    signed = dev.post("/sign-in?next=/search", data={"role": "auditor", "agency": "000.00.00.H41"})
    assert (signed.status_code, signed.headers["location"]) == (303, "/search")
    assert "auditor@000.00.00.H41" in dev.get("/").text


def test_sign_in_never_redirects_off_the_site(dev: TestClient) -> None:
    answer = dev.post("/sign-in?next=https://evil.example/", data={"role": "auditor", "agency": "000.00.00.H41"})
    assert answer.headers["location"] == "/"


def test_behind_an_oidc_proxy_the_named_header_says_who_and_nothing_else_does(proxied: TestClient) -> None:
    assert "auditor@000.00.07.H41" in proxied.get("/", headers={"X-Principal": "auditor@000.00.07.H41"}).text
    nobody = proxied.get("/")
    assert nobody.status_code == 401
    assert "x-principal" in nobody.text
    assert proxied.get("/", headers={"X-Principal": "service:documents"}).status_code == 401  # not a person
    assert proxied.get("/sign-in").status_code == 404  # no dev sign-in behind a proxy
    proxied.cookies.set("lienthong_console", "anything")
    assert proxied.get("/").status_code == 401


def test_behind_a_tls_proxy_the_client_certificate_names_the_principal(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Nguyễn Văn A")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(principal_uri("auditor@000.00.00.H41"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    pem = quote(certificate.public_bytes(serialization.Encoding.PEM).decode())
    for opened in client(
        tmp_path, LIENTHONG_CONSOLE_SIGN_IN="client-cert", LIENTHONG_CONSOLE_CERT_HEADER="ssl-client-cert"
    ):
        assert "auditor@000.00.00.H41" in opened.get("/", headers={"ssl-client-cert": pem}).text
        assert opened.get("/", headers={"ssl-client-cert": "not a certificate"}).status_code == 401


@pytest.mark.parametrize(
    ("mode", "missing"),
    [("header", "LIENTHONG_CONSOLE_PRINCIPAL_HEADER"), ("client-cert", "LIENTHONG_CONSOLE_CERT_HEADER")],
)
def test_a_proxy_mode_without_its_header_named_refuses_to_start(mode: str, missing: str) -> None:
    with pytest.raises(ConsoleMisconfigured, match=missing):
        ConsoleSettings.from_env({"LIENTHONG_CONSOLE_SIGN_IN": mode})
    with pytest.raises(ConsoleMisconfigured, match="must be one of"):
        ConsoleSettings.from_env({"LIENTHONG_CONSOLE_SIGN_IN": "trust-everyone"})


def test_on_behalf_calls_name_the_person_and_dev_calls_do_not() -> None:
    credentials = grpc.ssl_channel_credentials()
    assert Backends(lambda _: credentials, on_behalf=True).metadata("auditor@000.00.00.H41") == (
        (ACTOR_METADATA_KEY, "auditor@000.00.00.H41"),
    )
    assert Backends(lambda _: credentials, on_behalf=False).metadata("auditor@000.00.00.H41") == ()


def test_probes_and_metrics_answer_without_sign_in(dev: TestClient) -> None:
    assert dev.get("/healthz").text == "ok"
    dev.get("/sign-in")
    metrics = dev.get("/metrics").text
    assert 'console_http_requests_total{page="/sign-in",status="200"}' in metrics
