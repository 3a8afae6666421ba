"""The platform in containers (issue #18, `make containers`): two replicas of every service in containers of
the images `make images` built, on a Docker network of their own, with PostgreSQL and NATS in containers of
the same base, mutual TLS between the services and one NATS user per service, as in production.

While documents are sent without pause (through both documents replicas, round robin), the holder of each
service's lease is killed with `docker kill` (and started again), then both documents replicas at once,
then PostgreSQL's container. Afterwards: every acknowledged document is stored once, every stored event is
in JetStream once, reporting counts each once, the recipient lists each copy once, every arrival was mailed
exactly once, and no number series has a gap or a duplicate. The test prints the compared counts and the
failover times (a lease holder killed → another replica holds the lease and runs the work).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path

import grpc
import psycopg
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from e2e.chaos.test_chaos import RECIPIENT, SENDERS, Load, clerk_of, reporting_counts
from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.eventstore import read_events, store_environment
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.callers import Callers
from lienthong.launcher.demo import OPERATOR
from lienthong.launcher.nats_security import NatsSecurity, embedded_nats_security
from lienthong.launcher.platform import DEFAULT_PORTS, SERVICES
from lienthong.launcher.ports import free_port
from lienthong.launcher.testing import stream_messages, wait_for
from lienthong.relay import StreamNames
from lienthong.relay.topology import ADMIN
from lienthong.reporting.v1 import reporting_pb2_grpc
from lienthong.signing.adapters.outbound.platformtls import TlsDirectory

REPOSITORY = os.environ.get("IMAGE_REPOSITORY", "lienthong")
REPLICAS = 2
LOAD_SECONDS = float(os.environ.get("LIENTHONG_CONTAINERS_SECONDS", "150"))
LEASE_SECONDS = 6
HEALTH_PORT = 8081
TSA_PORT = 50063
UID = "10001"
CONSOLE_PORT = 8480
PRINCIPAL_HEADER = "X-Lienthong-Principal"  # set by the authenticating proxy in front of the console


def docker(*args: str, check: bool = True, timeout: float = 120) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"docker {' '.join(args[:3])} failed: {done.stderr.strip()}")
    return done.stdout.strip()


class Cluster:
    """Containers on one Docker network, named `<prefix>-<name>`, removed at the end."""

    def __init__(self, data_dir: Path) -> None:
        self.prefix = f"lt{uuid.uuid4().hex[:6]}"
        self.network = f"{self.prefix}-net"
        self.data_dir = data_dir
        self.names: list[str] = []
        self.published: dict[tuple[str, int], int] = {}
        docker("network", "create", self.network)

    def run(
        self,
        name: str,
        image: str,
        *command: str,
        env: Mapping[str, str] = {},
        alias: str | None = None,
        ports: tuple[int, ...] = (),
        volumes: tuple[str, ...] = (),
    ) -> None:
        full = f"{self.prefix}-{name}"
        args = ["run", "-d", "--name", full, "--hostname", full, "--network", self.network]
        args += ["--network-alias", alias or name, "--read-only", "--tmpfs", "/tmp"]
        args += ["-v", f"{self.data_dir}:{self.data_dir}", *[f"-v{volume}" for volume in volumes]]
        for port in ports:  # a fixed host port, so that it stays the same when the container is started again
            self.published[(name, port)] = free_port()
            args += ["-p", f"127.0.0.1:{self.published[(name, port)]}:{port}"]
        for key, value in env.items():
            args += ["-e", f"{key}={value}"]
        docker(*args, f"{REPOSITORY}/{image}:latest", *command)
        self.names.append(full)

    def port(self, name: str, port: int) -> int:
        return self.published[(name, port)]

    def kill(self, name: str) -> None:
        docker("kill", f"{self.prefix}-{name}")

    def start(self, name: str) -> None:
        docker("start", f"{self.prefix}-{name}")

    def logs(self, name: str, lines: int = 30) -> str:
        done = subprocess.run(
            ["docker", "logs", "--tail", str(lines), f"{self.prefix}-{name}"], capture_output=True, text=True
        )
        return done.stdout + done.stderr

    def remove(self) -> None:
        for name in self.names:
            docker("rm", "-f", "-v", name, check=False)
        docker("network", "rm", self.network, check=False)


class Platform:
    """The platform in the cluster: what every container needs to know, and how the test reaches it."""

    def __init__(self, cluster: Cluster, instance: str) -> None:
        self.cluster = cluster
        self.instance = instance
        self.data_dir = cluster.data_dir
        self.tls = TlsDirectory.of_platform(self.data_dir)
        for service in (*SERVICES, "console"):
            self.tls.server(service)
        self.security: NatsSecurity = embedded_nats_security(self.data_dir, StreamNames(instance))
        self.pg_password = uuid.uuid4().hex
        (self.data_dir / "pg.password").write_text(self.pg_password)

    def service_env(self, service: str) -> dict[str, str]:
        env = {
            "LIENTHONG_DATA_DIR": str(self.data_dir),
            "LIENTHONG_DATABASE_URL": f"postgresql+psycopg://lienthong:{self.pg_password}@postgres:5432/lienthong",
            "LIENTHONG_NATS_URL": "nats://nats:4222",
            "LIENTHONG_INSTANCE": self.instance,
            "LIENTHONG_LISTEN_ADDR": f"0.0.0.0:{DEFAULT_PORTS[service]}",
            "LIENTHONG_LEASE_SECONDS": str(LEASE_SECONDS),
            "LIENTHONG_SMTP_HOST": "smtp",
            "LIENTHONG_SMTP_PORT": "2525",
            "LIENTHONG_SMTP_DELIVERY_LOG": str(self.data_dir / "mail" / "delivered.log"),
            "LIENTHONG_SMTP_IN_DOUBT_AFTER": "10",
            "LIENTHONG_SIGNING_DEVCA_HTTP_ADDR": f"0.0.0.0:{TSA_PORT}",
            "LIENTHONG_SIGNING_TSA_URL": f"http://signing:{TSA_PORT}/tsa",
            **{f"LIENTHONG_{other.upper()}_ADDR": f"{other}:{DEFAULT_PORTS[other]}" for other in SERVICES},
            **self.tls.server(service).env(),
            **self.security.client_env(service),
        }
        return env

    def console_env(self) -> dict[str, str]:
        """The console as the chart runs it: behind a proxy naming the person in a header, calling the
        services with its own certificate (service:console)."""
        return {
            "LIENTHONG_DATA_DIR": str(self.data_dir),
            "LIENTHONG_CONSOLE_ADDR": f"0.0.0.0:{CONSOLE_PORT}",
            "LIENTHONG_CONSOLE_SIGN_IN": "header",
            "LIENTHONG_CONSOLE_PRINCIPAL_HEADER": PRINCIPAL_HEADER,
            "LIENTHONG_CONSOLE_SESSION_SECRET_FILE": "/tmp/session.key",
            **{f"LIENTHONG_{other.upper()}_ADDR": f"{other}:{DEFAULT_PORTS[other]}" for other in SERVICES},
            **self.tls.server("console").env(),
        }

    def start(self) -> None:
        cluster = self.cluster
        nats_dir = self.data_dir / "nats"
        nats_dir.mkdir(exist_ok=True)
        config = nats_dir / "nats-server.conf"
        config.write_text(
            "listen: 0.0.0.0:4222\n"
            f'jetstream {{\n  store_dir: "{nats_dir / "store"}"\n  sync_interval: always\n}}\n'
            + self.security.server_config()
        )
        (self.data_dir / "mail").mkdir(exist_ok=True)
        subprocess.run(["chown", "-R", f"{UID}:{UID}", str(self.data_dir)], check=True)
        os.chmod(self.data_dir / "pg.password", 0o644)  # read by the postgres user of its container
        cluster.run(
            "postgres",
            "postgres",
            env={"POSTGRES_PASSWORD_FILE": str(self.data_dir / "pg.password")},
            ports=(5432,),
            volumes=(f"{cluster.prefix}-pgdata:/var/lib/postgresql/data",),
        )
        cluster.run("nats", "nats", "-c", str(config), env=self.security.server_env(), ports=(4222,))
        cluster.run(
            "smtp",
            "email",
            "python",
            "-m",
            "lienthong.email.adapters.outbound.sink",
            "--host",
            "0.0.0.0",
            "--port",
            "2525",
            "--dir",
            str(self.data_dir / "mail"),
        )
        try:
            wait_for(self.database_ready, timeout=90, what="PostgreSQL in its container")
        except AssertionError:
            raise AssertionError(f"PostgreSQL does not start:\n{cluster.logs('postgres')}") from None
        for service in SERVICES:  # the tables first, once (as the chart's migration Job), then the replicas
            name = f"migrate-{service}"
            cluster.run(name, service, "python", "-m", f"lienthong.{service}.migrate", env=self.service_env(service))
            code = docker("wait", f"{cluster.prefix}-{name}", timeout=300)
            assert code == "0", f"migrating {service} failed:\n{cluster.logs(name)}"
        for service in SERVICES:
            for replica in range(1, REPLICAS + 1):
                cluster.run(
                    f"{service}-{replica}",
                    service,
                    env=self.service_env(service),
                    alias=service,
                    ports=(DEFAULT_PORTS[service], HEALTH_PORT),
                )
        for replica in range(1, REPLICAS + 1):
            cluster.run(
                f"console-{replica}",
                "console",
                "python",
                "-m",
                "lienthong.console.main",
                env=self.console_env(),
                alias="console",
                ports=(CONSOLE_PORT,),
            )
        for service in SERVICES:
            for replica in range(1, REPLICAS + 1):
                self.wait_serving(f"{service}-{replica}")
        for replica in range(1, REPLICAS + 1):
            self.wait_console(replica)

    def wait_console(self, replica: int) -> None:
        def answering() -> bool:
            return self.console_page(replica, "/healthz")[0] == 200

        try:
            wait_for(answering, timeout=60, what=f"console-{replica} to answer")
        except AssertionError:
            raise AssertionError(
                f"console-{replica} does not answer:\n{self.cluster.logs(f'console-{replica}')}"
            ) from None

    def console_page(self, replica: int, path: str, principal: str = "") -> tuple[int, str]:
        """(HTTP status, body) of `path` on console replica `replica`, as the proxy passes `principal`."""
        port = self.cluster.port(f"console-{replica}", CONSOLE_PORT)
        headers = {PRINCIPAL_HEADER: principal} if principal else {}
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except OSError:
            return 0, ""

    @property
    def database_url(self) -> str:
        port = self.cluster.port("postgres", 5432)
        return f"postgresql+psycopg://lienthong:{self.pg_password}@127.0.0.1:{port}/lienthong"

    def database_ready(self) -> bool:
        try:
            port = self.cluster.port("postgres", 5432)
            with psycopg.connect(
                host="127.0.0.1", port=port, user="lienthong", password=self.pg_password, dbname="lienthong"
            ):
                return True
        except (psycopg.Error, KeyError):
            return False

    def wait_serving(self, name: str, timeout: float = 120) -> None:
        def serving() -> bool:
            try:
                port = self.cluster.port(name, HEALTH_PORT)
                with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                    reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
                return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
            except (grpc.RpcError, KeyError):
                return False

        try:
            wait_for(serving, timeout=timeout, what=f"{name} to serve")
        except AssertionError:
            raise AssertionError(f"{name} does not serve:\n{self.cluster.logs(name)}") from None

    def callers(self) -> Callers:
        """The services reached from the host through both replicas' published ports (round robin)."""
        addresses = {
            service: "ipv4:"
            + ",".join(
                f"127.0.0.1:{self.cluster.port(f'{service}-{n}', DEFAULT_PORTS[service])}"
                for n in range(1, REPLICAS + 1)
            )
            for service in SERVICES
        }
        return Callers(self.tls, addresses)

    def lease(self, service: str) -> tuple[str, int] | None:
        """(holder, token) of `service`'s lease as stored."""
        try:
            with psycopg.connect(
                self.database_url.replace("postgresql+psycopg", "postgresql"), connect_timeout=3
            ) as db:
                row = db.execute(f"SELECT holder, token FROM {service}_leases WHERE work = 'single-active'").fetchone()
        except (psycopg.Error, AssertionError):
            return None
        return (str(row[0]), int(row[1])) if row else None

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.cluster.port('nats', 4222)}"


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        pytest.fail("the container test needs a Docker engine: run it with `make containers`, which starts one")
    data_dir = tmp_path / "platform"
    data_dir.mkdir()
    cluster = Cluster(data_dir)
    try:
        running = Platform(cluster, f"c{uuid.uuid4().hex[:8]}")
        running.start()
        yield running
    finally:
        cluster.remove()


def kill_lease_holder(platform: Platform, service: str) -> float:
    """`docker kill` the replica holding `service`'s lease; return how long until another replica held it."""
    before = wait_for(lambda: platform.lease(service), timeout=60, what=f"{service}'s lease to be held")
    holder = before[0].split(":", 1)[0].removeprefix(f"{platform.cluster.prefix}-")
    platform.cluster.kill(holder)
    killed = time.monotonic()

    def taken_over() -> tuple[str, int] | None:
        lease = platform.lease(service)
        return lease if lease is not None and lease[1] > before[1] else None

    after = wait_for(taken_over, timeout=60, what=f"another replica to take {service}'s lease")
    failover = time.monotonic() - killed
    assert after[0] != before[0]
    platform.cluster.start(holder)
    platform.wait_serving(holder)
    return failover


# Starting twelve containers, the load and the kills take longer than the suite's 300 s default.
@pytest.mark.timeout(1800)
def test_two_replicas_of_every_service_in_containers_lose_nothing_through_kills(platform: Platform) -> None:
    callers = platform.callers()
    with callers.acting("identifiers") as channel:
        agencies = identifiers_pb2_grpc.IdentifiersServiceStub(channel)
        agencies.RegisterAgency(
            ids.RegisterAgencyRequest(code=RECIPIENT, name="UBND tỉnh", short_name="UBND", email="vanthu@h48.gov.vn"),
            metadata=OPERATOR,
        )
        for n, code in enumerate(SENDERS, start=1):
            agencies.RegisterAgency(
                ids.RegisterAgencyRequest(code=code, name=f"Sở {n}", short_name=f"S{n}"), metadata=OPERATOR
            )

    load = Load(callers)
    failovers: list[float] = []
    faults = len(SERVICES) + 2
    pause = LOAD_SECONDS / (faults + 1)
    try:
        for service in SERVICES:
            time.sleep(pause)
            load.phase = f"docker kill {service}'s lease holder"
            failover = kill_lease_holder(platform, service)
            failovers.append(failover)
            print(f"docker kill {service}'s lease holder: another replica took over in {failover:.1f} s")
        time.sleep(pause)
        load.phase = "docker kill both documents replicas"
        for n in range(1, REPLICAS + 1):
            platform.cluster.kill(f"documents-{n}")
        print(f"docker kill both documents replicas (acknowledged so far {len(load.acknowledged)})")
        time.sleep(3)
        for n in range(1, REPLICAS + 1):
            platform.cluster.start(f"documents-{n}")
        for n in range(1, REPLICAS + 1):
            platform.wait_serving(f"documents-{n}")
        time.sleep(pause)
        load.phase = "docker kill PostgreSQL"
        platform.cluster.kill("postgres")
        print(f"docker kill PostgreSQL (acknowledged so far {len(load.acknowledged)})")
        time.sleep(3)
        platform.cluster.start("postgres")
        wait_for(platform.database_ready, timeout=60, what="PostgreSQL back")
        time.sleep(pause)
    finally:
        load.stop()
    acknowledged = load.acknowledged
    assert len(acknowledged) >= 200, f"too little load to say anything: {len(acknowledged)} ({dict(load.failures)})"

    # The event store: each acknowledged document sent exactly once, with its own number.
    app = DocumentsApp(store_environment("documents", platform.database_url))
    stored = read_events(app, 1, 10_000_000)
    sent_ids = Counter(r.aggregate_id for r in stored if (r.aggregate, r.event) == ("OutgoingDocument", "Sent"))
    arrived = [r for r in stored if (r.aggregate, r.event) == ("IncomingDocument", "Arrived")]
    assert set(acknowledged) <= set(sent_ids), "an acknowledged document is missing from the event store"
    assert max(sent_ids.values()) == 1
    assert len(arrived) == len(sent_ids)

    # JetStream: every stored event once, though relays changed hands.
    stream = f"{platform.instance}_DOCUMENTS".upper()
    stored_ids = sorted(f"{r.aggregate_id}:{r.version}" for r in stored)
    credentials = platform.security.credentials(ADMIN)

    def relayed() -> list[str] | None:
        found = [m.message_id for m in stream_messages(platform.nats_url, stream, credentials)]
        return found if len(found) >= len(stored_ids) else None

    published = wait_for(relayed, timeout=180, what="the relay to publish every stored event")
    assert [i for i, n in Counter(published).items() if n > 1] == []
    assert sorted(published) == stored_ids

    # Reporting (fed from JetStream by one replica at a time): each sent and each arrival counted once.
    with callers.acting("reporting") as channel:
        reporting = reporting_pb2_grpc.ReportingServiceStub(channel)

        def counts() -> tuple[int, int]:
            return reporting_counts(reporting)

        wait_for(lambda: counts() == (len(sent_ids), len(arrived)) or None, timeout=180, what="reporting to count all")
        projected = counts()

    # The recipient's incoming list (documents' own read model, in both replicas): one copy per document,
    # each with its own arrival number (no gap, no duplicate).
    with callers.acting("documents") as channel:
        documents = documents_pb2_grpc.DocumentsServiceStub(channel)
        listed = documents.ListIncoming(
            docs.ListIncomingRequest(recipient_code=RECIPIENT), metadata=clerk_of(RECIPIENT)
        )
        outgoing = [
            d
            for sender in SENDERS
            for d in documents.ListOutgoing(
                docs.ListOutgoingRequest(sender_code=sender), metadata=clerk_of(sender)
            ).documents
        ]
    numbers: dict[str, list[int]] = {}
    for document in outgoing:
        if document.number:
            numbers.setdefault(document.sender_code, []).append(int(document.number))
    numbered = {d.id for d in outgoing if d.number}
    copies = Counter(d.outgoing_id for d in listed.documents)
    assert max(copies.values()) == 1
    assert set(copies) == set(sent_ids)
    for sender, series in numbers.items():
        assert sorted(series) == list(range(1, len(series) + 1)), f"{sender}'s numbers have a gap or a duplicate"
    # A document numbered and then not sent (its SendDocument cut off by a kill) keeps its number: no gap.
    assert set(sent_ids) <= numbered, "a sent document has no number"

    # The console, two replicas behind one address: each shows the recipient's auditor the same timeline of
    # a document (sender's and recipient's events), from the services both call, whichever replica serves.
    sample = [d for d in outgoing if d.id in sent_ids][:3]
    for document in sample:
        timelines = []
        for replica in range(1, REPLICAS + 1):
            status, body = platform.console_page(replica, f"/documents/{document.id}", f"auditor@{RECIPIENT}")
            assert status == 200, f"console-{replica} answered {status} for {document.id}: {body[:300]}"
            timeline = body[body.index('<table id="timeline">') : body.index("</table>")]
            assert '<td class="event">Sent</td>' in timeline, timeline[:600]
            assert "IncomingDocument" in timeline, timeline[:600]
            timelines.append(timeline)
        assert all(t == timelines[0] for t in timelines), f"the console replicas show {document.id} differently"
    for replica in range(1, REPLICAS + 1):
        status, _ = platform.console_page(replica, f"/documents/{sample[0].id}")
        assert status == 401, f"console-{replica} answered {status} to a request the proxy named nobody in"

    # Mail: every arrival notified exactly once (delivery changed hands, one replica at a time).
    mail_dir = platform.data_dir / "mail"

    def mailed() -> list[Path] | None:
        found = sorted(mail_dir.glob("*.eml"))
        return found if len(found) >= len(arrived) else None

    mails = wait_for(mailed, timeout=240, what="every arrival to be mailed")
    time.sleep(LEASE_SECONDS)  # a duplicate would come now, from a replica that lost the lease
    mails = sorted(mail_dir.glob("*.eml"))
    message_ids = Counter(message_id(path) for path in mails)
    assert [m for m, n in message_ids.items() if n > 1] == [], "a notification was mailed twice"
    assert len(mails) == len(arrived)

    print(
        f"acknowledged {len(acknowledged)} = stored {len(set(acknowledged) & set(sent_ids))} "
        f"(sent in store {len(sent_ids)}, unacknowledged but sent {len(set(sent_ids) - set(acknowledged))}); "
        f"events stored {len(stored_ids)} = published once {len(published)}; reporting sent {projected[0]}, "
        f"received {projected[1]}; recipient's list {len(copies)}; mails {len(mails)} for {len(arrived)} "
        f"arrivals; console replicas {REPLICAS} showed {len(sample)} documents each; numbers {len(numbered)} in {len(numbers)} gapless series "
        f"({len(numbered - set(sent_ids))} numbered but not sent); "
        f"failed calls {dict(load.failures)}"
    )
    print(f"failed calls, by the last fault begun:\n{load.report()}")
    print(
        f"failover (lease holder killed → another replica holds the lease) over {len(failovers)} kills: "
        f"p50 {statistics.median(failovers):.1f} s, max {max(failovers):.1f} s"
    )


def message_id(path: Path) -> str:
    for line in path.read_text(errors="replace").splitlines():
        if line.lower().startswith("message-id:"):
            return line.split(":", 1)[1].strip()
        if not line:
            break
    raise AssertionError(f"{path.name} has no Message-ID")
