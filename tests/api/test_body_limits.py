"""Request bodies have a size limit (413 ``body_too_large``) and a time limit (408
``body_timeout``), checked before the app reads the body whole.

The app runs on a real TCP port (uvicorn, as ``mandate api`` starts it) on a real database, and
the clients that matter here are raw sockets: only they can send a body slowly, or send part of
one and wait.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from mandate.settings import Settings
from policies.access import Role
from store import credentials
from store.db import Database
from tests.api.conftest import org_body
from tests.api.test_role_matrix import campaign_body
from tests.api.uvicorn_server import on_a_port
from tests.keys import ORIGIN, keyed_database

LIMIT = 64 * 1024  # the default of MANDATE_MAX_BODY_BYTES
BODY_TIMEOUT = 1.0


@dataclass
class Served:
    port: int
    token: str
    http: httpx.AsyncClient

    def headers(self, **more: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **more}


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    # Limits come before any database work: one backend is enough.
    db = keyed_database(f"sqlite:///{tmp_path_factory.mktemp('limits') / 'mandate.db'}")
    yield db
    db.dispose()


@pytest.fixture
async def served(sqlite_db: Database, tmp_path: Path) -> AsyncIterator[Served]:
    settings = Settings(data_dir=tmp_path, log_origin=ORIGIN, body_timeout=BODY_TIMEOUT)
    assert settings.max_body_bytes == LIMIT
    app = create_app(settings, db=sqlite_db)
    with sqlite_db.write() as conn:
        token = credentials.issue(conn, Role.SECRETARIAT, "limits", None).token
    async with (
        on_a_port(app) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http,
    ):
        yield Served(port, token, http)


def padded(body: dict[str, Any], size: int) -> bytes:
    """The body as JSON of exactly ``size`` bytes: whitespace is valid JSON."""
    raw = json.dumps(body).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


class RawClient:
    """An HTTP/1.1 client on a bare socket that sends a request's parts when told to."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int) -> RawClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def head(self, served: Served, path: str, **headers: str) -> None:
        lines = [f"POST {path} HTTP/1.1", "Host: test", "Content-Type: application/json"]
        lines += [f"{k.replace('_', '-')}: {v}" for k, v in served.headers(**headers).items()]
        await self.send(("\r\n".join(lines) + "\r\n\r\n").encode())

    async def send(self, data: bytes) -> bool:
        """Whether the server still took it (it may have answered and closed already)."""
        try:
            self.writer.write(data)
            await self.writer.drain()
        except ConnectionError:
            return False
        return True

    async def answer(self, within: float) -> tuple[int, dict[str, str], dict[str, Any]]:
        raw = await asyncio.wait_for(self.reader.read(), within)  # up to the server's close
        head, _, body = raw.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode().split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return int(status_line.split()[1]), headers, json.loads(body)

    def close(self) -> None:
        self.writer.close()


async def test_a_declared_length_over_the_limit_is_refused_before_the_body(
    served: Served,
) -> None:
    client = await RawClient.connect(served.port)
    started = time.monotonic()
    await client.head(served, "/v1/organisations", content_length=str(10_000_000))
    status, headers, body = await client.answer(within=5)  # no byte of the body was sent
    client.close()
    assert time.monotonic() - started < 1.0
    assert status == 413
    assert body["error"] == "body_too_large"
    assert set(body) == {"error", "detail"}
    assert body["detail"] == (
        f"the request body has 10000000 bytes; the most this API reads is {LIMIT}"
    )
    assert headers["connection"] == "close"


async def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(served: Served) -> None:
    client = await RawClient.connect(served.port)
    await client.head(served, "/v1/organisations", transfer_encoding="chunked")
    chunk = b"x" * 4096
    sent = 0
    while sent <= LIMIT and await client.send(b"%x\r\n%s\r\n" % (len(chunk), chunk)):
        sent += len(chunk)
    # No last chunk: the answer cannot wait for the end of the body.
    started = time.monotonic()
    status, _, body = await client.answer(within=5)
    client.close()
    assert time.monotonic() - started < 1.0
    assert (status, body["error"]) == (413, "body_too_large")
    assert body["detail"] == (
        f"the request body has more bytes; the most this API reads is {LIMIT}"
    )


async def test_a_slow_body_is_cut_off_at_the_timeout(served: Served) -> None:
    client = await RawClient.connect(served.port)
    started = time.monotonic()
    await client.head(served, "/v1/organisations", content_length="400")

    async def trickle() -> None:
        for _ in range(400):  # a few bytes a second: the whole body would take a minute
            if not await client.send(b" "):
                return
            await asyncio.sleep(0.15)

    sending = asyncio.create_task(trickle())
    status, headers, body = await client.answer(within=BODY_TIMEOUT + 5)
    took = time.monotonic() - started
    sending.cancel()
    client.close()
    assert (status, body["error"]) == (408, "body_timeout")
    assert set(body) == {"error", "detail"}
    assert headers["connection"] == "close"
    assert BODY_TIMEOUT <= took < BODY_TIMEOUT + 1.5, took


async def test_a_body_sent_slowly_but_within_the_timeout_is_read(served: Served) -> None:
    client = await RawClient.connect(served.port)
    raw = json.dumps(org_body()).encode()
    await client.head(served, "/v1/organisations", content_length=str(len(raw)), connection="close")
    for i in range(0, len(raw), len(raw) // 4 + 1):
        await client.send(raw[i : i + len(raw) // 4 + 1])
        await asyncio.sleep(BODY_TIMEOUT / 8)
    status, _, body = await client.answer(within=10)
    client.close()
    assert status == 201, body


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_at_the_limit_works_and_one_byte_more_does_not(
    served: Served, chunked: bool
) -> None:
    async def post(raw: bytes) -> httpx.Response:
        async def stream() -> AsyncIterator[bytes]:
            for i in range(0, len(raw), 10_000):
                yield raw[i : i + 10_000]

        content: Any = stream() if chunked else raw
        return await served.http.post(
            "/v1/organisations",
            content=content,
            headers=served.headers(**{"Content-Type": "application/json"}),
        )

    at_limit = await post(padded(org_body(), LIMIT))
    assert at_limit.status_code == 201, at_limit.text
    assert ("chunked" in at_limit.request.headers.get("transfer-encoding", "")) == chunked
    over = await post(padded(org_body(), LIMIT + 1))
    assert over.status_code == 413, over.text
    assert over.json()["error"] == "body_too_large"


async def test_a_long_campaign_statement_fits_the_default_limit(served: Served) -> None:
    """60,000 characters of statement text (about 25 pages) in one request."""
    body = campaign_body()
    body["statement"]["en"]["text"] = ("We, the undersigned, call on... " * 1875)[:60_000]
    r = await served.http.post("/v1/campaigns", json=body, headers=served.headers())
    assert r.status_code == 201, r.text
    assert len(r.request.content) < LIMIT
    body["statement"]["fr"] = {"title": "Déclaration", "text": body["statement"]["en"]["text"]}
    r = await served.http.post("/v1/campaigns", json=body, headers=served.headers())
    assert (r.status_code, r.json()["error"]) == (413, "body_too_large")


async def test_a_smaller_limit_is_a_setting(sqlite_db: Database, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, log_origin=ORIGIN, max_body_bytes=2048)
    app = create_app(settings, db=sqlite_db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        r = await http.post("/v1/constituencies", content=b"{" + b" " * 2048)
        assert (r.status_code, r.json()["error"]) == (413, "body_too_large")
        assert "2048" in r.json()["detail"]
        r = await http.post("/v1/constituencies", content=b"{" + b" " * 2046)
        assert r.status_code == 401  # read, and on to the route: it needs a token
        assert (await http.get("/v1/rounds")).status_code == 200
