"""``Transport.stream_lines`` against a local aiohttp server that streams NDJSON line by line."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from airflow_async import AirflowClient, BasicAuth, DecodeError, NotFound, RetryPolicy, TransportError

FAST = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.002)


class Stream:
    """A server whose ``/api/v1/stream`` answers what the test scripts, counting requests."""

    def __init__(self) -> None:
        self.requests = 0
        self.authorization: list[str | None] = []
        self.statuses: list[int] = []  # answered with an empty error body first, in order
        self.first_read = asyncio.Event()  # set by the test once it holds the first line
        self.lines: list[bytes] = [
            b'{"state": "queued"}\n',
            b"\n",
            b'{"state": "success", "results": {"t": 1}}',
        ]
        self.break_after_first = False

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        self.authorization.append(request.headers.get("Authorization"))
        if self.statuses:
            status = self.statuses.pop(0)
            return web.json_response({"detail": f"status {status}"}, status=status)
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(self.lines[0])
        await asyncio.wait_for(self.first_read.wait(), 5)  # the rest only after the client saw line 1
        if self.break_after_first:
            assert request.transport is not None
            request.transport.close()
            return resp
        for line in self.lines[1:]:
            await resp.write(line)
        await resp.write_eof()
        return resp


@pytest.fixture
async def stream() -> AsyncIterator[tuple[Stream, str]]:
    server = Stream()
    app = web.Application()
    app.router.add_get("/api/v1/stream", server.handle)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    try:
        yield server, str(test_server.make_url("/"))
    finally:
        await test_server.close()


def _client(url: str, **kwargs: object) -> AirflowClient:
    return AirflowClient(
        url,
        auth=BasicAuth("admin", "pw"),
        api_version="v1",
        retry=FAST,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_each_line_is_yielded_as_it_arrives_with_auth_and_a_held_slot(
    stream: tuple[Stream, str],
) -> None:
    server, url = stream
    async with _client(url, max_concurrency=1) as af:
        got = []
        lines = af.transport.stream_lines("GET", ["stream"], params={"interval": 0.5})
        async with contextlib.aclosing(lines):
            async for item in lines:
                got.append(item)
                if len(got) == 1:
                    # The server sends the rest only after this: a client that waited for the
                    # whole body would time out here instead of seeing the first line.
                    assert af.transport.semaphore.locked()  # the open stream holds its slot
                    server.first_read.set()
        assert got == [{"state": "queued"}, {"state": "success", "results": {"t": 1}}]
        assert not af.transport.semaphore.locked()
    assert server.requests == 1
    assert server.authorization[0] is not None and server.authorization[0].startswith("Basic ")


async def test_an_error_answer_is_typed_and_retried_before_any_line(stream: tuple[Stream, str]) -> None:
    server, url = stream
    server.first_read.set()
    server.statuses = [404]
    async with _client(url) as af:
        with pytest.raises(NotFound, match="status 404"):
            async for _ in af.transport.stream_lines("GET", ["stream"]):
                pass
        assert not af.transport.semaphore.locked()
        server.statuses = [503]
        got = [item async for item in af.transport.stream_lines("GET", ["stream"])]
        assert got[-1] == {"state": "success", "results": {"t": 1}}
        assert af.stats.retries == 1
    assert server.requests == 3


async def test_a_stream_broken_after_a_line_is_not_retried(stream: tuple[Stream, str]) -> None:
    server, url = stream
    server.break_after_first = True
    server.lines[0] = b'{"state": "running"}\n{"state": "runn'  # a line cut short by the break
    async with _client(url) as af:
        got = []
        with pytest.raises(TransportError):
            async for item in af.transport.stream_lines("GET", ["stream"]):
                got.append(item)
                server.first_read.set()
        assert got == [{"state": "running"}]
        assert not af.transport.semaphore.locked()
    assert server.requests == 1


async def test_a_line_that_is_not_json_is_a_decode_error(stream: tuple[Stream, str]) -> None:
    server, url = stream
    server.first_read.set()
    server.lines = [b"<html>\n"]
    async with _client(url) as af:
        with pytest.raises(DecodeError, match="not valid JSON"):
            async for _ in af.transport.stream_lines("GET", ["stream"]):
                pass
