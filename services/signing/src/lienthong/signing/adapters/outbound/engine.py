"""What signs and verifies documents (PAdES and XML), each engine confined to one thread or one worker process.

pyHanko works on asn1crypto objects, which parse lazily and are not thread-safe: two threads that read the
same not-yet-parsed certificate for the first time can see it half-parsed and fail with errors such as
KeyError('No field numbered 1 is present in this asn1crypto.x509.NameTypeAndValue'). A pyHanko TimeStamper
keeps such objects (its TSA certificates and a cached dummy response) and so does a Signer (its certificate
and chain). `make bench` met exactly this when the gRPC threads of the signing service shared one timestamper.
So nothing asn1crypto holds is shared between threads here: each engine has its own timestamper, signers
and trust data, and `EnginePool` runs every call on the one engine of the thread or process it lands on.

An engine also keeps what is constant between requests: the signer of each certificate (its key decrypted or
its token session looked up once), the parsed certificates, the room a signature of each certificate and level
takes in a PDF, and the CA's CRLs while their files are unchanged and not due for their next update.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import multiprocessing
import os
import ssl
import sys
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import certifi
from cryptography import x509
from pyhanko.sign import signers
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.timestamps.api import TimeStamper

from lienthong.errors import Unavailable
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore, KeyStore
from lienthong.signing.adapters.outbound.pades import (
    ContainerSizes,
    Level,
    LongTermPdf,
    SignedPdf,
    TrustData,
    extend_to_long_term,
    sign_pdf,
    verify_pdf,
)
from lienthong.signing.adapters.outbound.xmldsig import sign_xml, verify_xml
from lienthong.signing.domain.verification import VerificationReport

log = logging.getLogger(__name__)


class ReusingHttpTimeStamper(HTTPTimeStamper):
    """pyHanko's HTTP timestamper, but with one TLS context for its life: pyHanko makes a new aiohttp session
    per request (each sign_pdf runs its own event loop) and, with it, a new default SSL context that loads the
    CA bundle; under load that was 40% of a signing worker's time (py-spy). The session stays per request."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._tls = ssl.create_default_context(cafile=certifi.where())

    @contextlib.asynccontextmanager
    async def _acquire_session(self) -> AsyncIterator[aiohttp.ClientSession]:
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=self._tls))
        try:
            yield session
        finally:
            await session.close()


class SigningEngine:
    """Signs and verifies with `ca`'s trust and `keys`' signing keys. Not thread-safe by design: one per thread
    or process (see the module's note)."""

    def __init__(
        self,
        ca: DevCertificateAuthority,
        keys: KeyStore,
        timestamper: TimeStamper,
        trust_anchors: Sequence[x509.Certificate] = (),
    ) -> None:
        self._ca = ca
        self._keys = keys
        self._timestamper = timestamper
        self._anchors = tuple(trust_anchors)
        self._roots = (ca.root, *self._anchors)
        self._signers: dict[tuple[str, str], tuple[x509.Certificate, list[x509.Certificate], signers.Signer]] = {}
        self._crls = _CrlWindow(ca)
        self._sizes = ContainerSizes()

    def sign_pdf(self, pdf: bytes, *, serial: str, pem: str, reason: str, level: Level, position: str) -> SignedPdf:
        certificate, _, signer = self._signer(serial, pem)
        return sign_pdf(
            pdf,
            signer=signer,
            certificate=certificate,
            reason=reason,
            level=level,
            timestamper=self._timestamper,
            trust=self._crls.trust(self._roots),
            position=position,
            sizes=self._sizes,
        )

    def extend_pdf(self, pdf: bytes) -> LongTermPdf:
        """The PDF's signatures made B-LT with the CA's current CRLs (see pades.extend_to_long_term)."""
        return extend_to_long_term(pdf, trust=self._crls.trust(self._roots))

    def verify_pdf(self, pdf: bytes, *, expected_agency_code: str | None) -> VerificationReport:
        return verify_pdf(pdf, trust=self._crls.trust(self._roots), expected_agency_code=expected_agency_code)

    def sign_xml(self, xml: bytes, *, serial: str, pem: str, xades: bool) -> tuple[bytes, datetime]:
        certificate, chain, signer = self._signer(serial, pem)
        return sign_xml(xml, signer=signer, certificate=certificate, chain=chain, xades=xades)

    def verify_xml(self, xml: bytes, *, expected_agency_code: str | None) -> VerificationReport:
        return verify_xml(xml, trust_roots=self._roots, expected_agency_code=expected_agency_code)

    def _signer(self, serial: str, pem: str) -> tuple[x509.Certificate, list[x509.Certificate], signers.Signer]:
        """The certificate, its chain and a signer with its key: made once per certificate, then kept."""
        cached = self._signers.get((serial, pem))
        if cached is None:
            certificate = x509.load_pem_x509_certificate(pem.encode())
            chain = self._ca.chain if certificate.issuer == self._ca.issuing.subject else list(self._anchors)
            cached = certificate, chain, self._keys.signer(serial, certificate, chain)
            self._signers[(serial, pem)] = cached
        return cached


class _CrlWindow:
    """The CA's CRLs as trust data, read again only when a CRL file changes (a revocation) or a CRL reaches its
    next update; the asn1crypto forms pyHanko takes are made once per CRL, not per request."""

    def __init__(self, ca: DevCertificateAuthority) -> None:
        self._ca = ca
        self._stamp: tuple[tuple[int, int], ...] = ()
        self._until = datetime.min.replace(tzinfo=UTC)
        self._crls: list[x509.CertificateRevocationList] = []
        self._trust: dict[tuple[x509.Certificate, ...], TrustData] = {}

    def trust(self, roots: tuple[x509.Certificate, ...]) -> TrustData:
        stamp = self._ca.crl_files_stamp()
        now = datetime.now(UTC)
        if stamp != self._stamp or now >= self._until:
            crls = self._ca.crls(now)
            self._stamp = self._ca.crl_files_stamp()
            self._until = min((crl.next_update_utc for crl in crls if crl.next_update_utc), default=now)
            self._trust = {}
            self._crls = crls
        found = self._trust.get(roots)
        if found is None:
            found = self._trust[roots] = TrustData(roots, self._crls)
        return found


@dataclass(frozen=True)
class EngineSettings:
    """What a worker process needs to build its own engine (picklable): the service's key and CA directories,
    the key passphrase, the PKCS#11 token if keys live on one, the TSA, the trust anchors besides the root."""

    signing_directory: Path
    passphrase: bytes
    tsa_url: str | None = None
    trust_anchors_pem: bytes = b""
    pkcs11_module: str | None = None
    pkcs11_token: str = ""
    pkcs11_pin: str = ""

    def __call__(self) -> SigningEngine:
        from lienthong.signing.adapters.outbound.pkcs11store import (
            Pkcs11KeyStore,  # loads a PKCS#11 module only when asked
        )

        ca_keys = EncryptedFileKeyStore(self.signing_directory / "keys", self.passphrase)
        keys: KeyStore = ca_keys
        if self.pkcs11_module:
            keys = Pkcs11KeyStore(self.pkcs11_module, self.pkcs11_token, self.pkcs11_pin)
        ca = DevCertificateAuthority(self.signing_directory / "ca", ca_keys, holder_keys=keys)
        timestamper: TimeStamper = ReusingHttpTimeStamper(self.tsa_url) if self.tsa_url else ca.timestamper()
        anchors = x509.load_pem_x509_certificates(self.trust_anchors_pem) if self.trust_anchors_pem else []
        return SigningEngine(ca, keys, timestamper, anchors)


# The engine of the thread (or worker process) a call runs on: set once by the executor's initializer.
_confined = threading.local()


def _install(factory: Callable[[], SigningEngine], environment: dict[str, str] | None = None) -> None:
    if environment is not None:
        # A worker forks from the forkserver, whose environment is that of its start: take the pool's own
        # (SOFTHSM2_CONF and the like, which a PKCS#11 module reads).
        os.environ.clear()
        os.environ.update(environment)
    _confined.engine = factory()


def _run(method: str, kwargs: dict[str, Any]) -> Any:
    engine: SigningEngine = _confined.engine
    return getattr(engine, method)(**kwargs)


def _imported_by_main() -> list[str]:
    """The modules the program's main module (run as `python -m name`) takes names from: the service, almost
    all of it. A worker runs the main module again (multiprocessing's spawn preparation); with these
    preloaded in the forkserver, that run finds its imports done. (The main module itself is not preloaded:
    runpy warns when the module it runs is imported already.)"""
    main = sys.modules["__main__"]
    spec = getattr(main, "__spec__", None)
    if spec is None:
        return []
    names = {
        value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
        for value in vars(main).values()
    }
    return sorted(
        name for name in names if isinstance(name, str) and name in sys.modules and name not in ("__main__", spec.name)
    )


class EnginePool:
    """Engines fed by the gRPC server: `workers` processes (both cores; the default of the service) or, with
    `processes=False`, threads of this process (tests, and a service configured for one process). Each worker
    builds its own engine from `factory` (an `EngineSettings` for processes), with its own key material."""

    def __init__(self, factory: Callable[[], SigningEngine], *, workers: int, processes: bool) -> None:
        if workers < 1:
            raise ValueError("a signing engine pool needs at least one worker")
        self._factory = factory
        self._workers = workers
        self._processes = processes
        self._lock = threading.Lock()
        self._executor = self._start()

    def _start(self) -> Executor:
        if not self._processes:
            return ThreadPoolExecutor(
                self._workers, thread_name_prefix="signing-engine", initializer=_install, initargs=(self._factory,)
            )
        # forkserver: workers fork from a clean server process that has imported pyHanko once (their pages
        # shared), never from this process with its gRPC threads. Each worker also runs the service's main
        # module again (multiprocessing's spawn preparation does): with what it imports preloaded, that is
        # quick; before, each new worker imported the whole service again (8 s of CPU under load, py-spy).
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__, *_imported_by_main()])
        executor = ProcessPoolExecutor(
            self._workers, mp_context=context, initializer=_install, initargs=(self._factory, dict(os.environ))
        )
        # Workers start when asked for: start them all now, not on the first requests' time.
        for _ in range(self._workers):
            executor.submit(os.getpid)
        return executor

    async def call(self, method: str, **kwargs: Any) -> Any:
        """Run `SigningEngine.<method>(**kwargs)` on a free worker's engine."""
        executor = self._executor
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, functools.partial(_run, method, kwargs))
        except BrokenProcessPool as error:
            # A worker died (killed, out of memory): start new ones for the next call; this one may be retried.
            log.error("a signing worker died during %s; starting new workers", method, exc_info=error)
            with self._lock:
                if self._executor is executor:
                    self._executor = self._start()
            raise Unavailable("a signing worker stopped during the call; retry it") from error

    def pids(self) -> list[int]:
        """The worker processes' ids (empty for threads): for measuring their memory."""
        processes = getattr(self._executor, "_processes", None) or {}
        return [pid for pid in processes if pid != os.getpid()]

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
