"""A TCP proxy on 127.0.0.1 that adds network latency without capping throughput.

Every chunk read from one side is written to the other side ``delay`` seconds after
it arrived (half the round trip per direction). Chunks are scheduled at
``arrival + delay`` in arrival order, so a stream of chunks keeps its order and its
bandwidth: the proxy never sleeps once per chunk in series. A new connection also
pays one extra round trip before its first byte reaches the server, as a TCP
handshake over the same link would (``handshake=False`` turns that off).

Run it on its own (prints one JSON line with ``url`` and ``pid``, then serves until
SIGINT/SIGTERM)::

    python -m benchmarks.latency_proxy --target http://127.0.0.1:8080 --rtt-ms 25

or in-process::

    async with LatencyProxy("127.0.0.1", 8080, rtt=0.025) as proxy:
        print(proxy.url)
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable
from types import TracebackType
from urllib.parse import urlsplit

__all__ = ["LatencyProxy", "main"]

HOST = "127.0.0.1"
_EOF = b""
#: Bytes buffered per direction before the proxy stops reading from the sender.
_HIGH_WATER = 8 * 1024 * 1024


class _Pipe:
    """One direction of one connection: read chunks, write each at arrival + delay."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        delay: float,
        not_before: float,
        on_broken: Callable[[], None],
    ) -> None:
        self._on_broken = on_broken
        self._reader = reader
        self._writer = writer
        self._delay = delay
        self._not_before = not_before
        self._queue: collections.deque[tuple[float, bytes]] = collections.deque()
        self._buffered = 0
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self.bytes = 0

    async def run(self) -> None:
        """Pump until EOF on the read side has been delivered to the write side."""
        await asyncio.gather(self._read(), self._write())

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                await self._room.wait()
                chunk = await self._reader.read(1 << 16)
                due = max(loop.time(), self._not_before) + self._delay
                self._queue.append((due, chunk))
                self._buffered += len(chunk)
                if self._buffered > _HIGH_WATER:
                    self._room.clear()
                self._wake.set()
                if not chunk:
                    return
        except (ConnectionError, OSError):
            self._queue.append((loop.time(), _EOF))
            self._wake.set()

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self._queue:
                self._wake.clear()
                await self._wake.wait()
            due, chunk = self._queue.popleft()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not chunk:
                with contextlib.suppress(OSError, RuntimeError):
                    if self._writer.can_write_eof():
                        self._writer.write_eof()
                return
            self._buffered -= len(chunk)
            if self._buffered <= _HIGH_WATER:
                self._room.set()
            self.bytes += len(chunk)
            try:
                self._writer.write(chunk)
                await self._writer.drain()
            except (ConnectionError, OSError):
                self._on_broken()  # drop the connection: the read side then ends too
                return


class LatencyProxy:
    """Forward ``127.0.0.1:<port>`` to ``target_host:target_port`` with added latency.

    Args:
        target_host: Where to connect (must be 127.0.0.1 or localhost).
        target_port: The target's port.
        rtt: Round trip time to add, in seconds; each direction gets half.
        port: Port to listen on (0 picks a free one).
        handshake: Delay a new connection's first client bytes by one extra round trip,
            like a TCP handshake over the slow link.
    """

    def __init__(
        self,
        target_host: str,
        target_port: int,
        *,
        rtt: float = 0.025,
        port: int = 0,
        handshake: bool = True,
    ) -> None:
        if target_host not in ("127.0.0.1", "localhost"):
            raise ValueError(f"the latency proxy only forwards to 127.0.0.1, not {target_host!r}")
        if rtt < 0:
            raise ValueError(f"rtt must be >= 0, got {rtt!r}")
        self.target_host = target_host
        self.target_port = target_port
        self.rtt = rtt
        self.port = port
        self.handshake = handshake
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` of the listening side."""
        return f"http://{HOST}:{self.port}"

    async def start(self) -> LatencyProxy:
        """Start listening."""
        self._server = await asyncio.start_server(self._accept, HOST, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def close(self) -> None:
        """Stop listening and drop the open connections."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> LatencyProxy:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _accept(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        loop = asyncio.get_running_loop()
        accepted = loop.time()
        try:
            try:
                s_reader, s_writer = await asyncio.open_connection(self.target_host, self.target_port)
            except OSError:
                c_writer.close()
                return
            half = self.rtt / 2
            not_before = accepted + (self.rtt if self.handshake else 0.0)

            def broken() -> None:
                s_writer.transport.abort()
                c_writer.transport.abort()

            up = _Pipe(c_reader, s_writer, half, not_before, broken)
            down = _Pipe(s_reader, c_writer, half, 0.0, broken)
            try:
                await asyncio.gather(up.run(), down.run())
            except asyncio.CancelledError:
                pass  # the proxy is closing: end quietly (the server callback logs cancellations)
            finally:
                for w in (s_writer, c_writer):
                    w.close()
                    with contextlib.suppress(Exception):
                        await w.wait_closed()
        finally:
            self._tasks.discard(task)


def _parse_target(target: str) -> tuple[str, int]:
    parts = urlsplit(target if "//" in target else f"//{target}")
    if parts.hostname is None or parts.port is None:
        raise SystemExit(f"--target needs host:port or http://host:port, got {target!r}")
    return parts.hostname, parts.port


async def _serve(args: argparse.Namespace) -> None:
    host, port = _parse_target(args.target)
    proxy = LatencyProxy(host, port, rtt=args.rtt_ms / 1000, port=args.port, handshake=not args.no_handshake)
    await proxy.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(json.dumps({"url": proxy.url, "pid": os.getpid(), "rtt_ms": args.rtt_ms}), flush=True)
    await stop.wait()
    await proxy.close()


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m benchmarks.latency_proxy --target HOST:PORT [--rtt-ms 25]``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.latency_proxy", description=__doc__)
    parser.add_argument("--target", required=True, help="127.0.0.1:PORT or http://127.0.0.1:PORT")
    parser.add_argument("--rtt-ms", type=float, default=25.0, help="round trip added (default 25)")
    parser.add_argument("--port", type=int, default=0, help="listen port (default: a free one)")
    parser.add_argument("--no-handshake", action="store_true", help="no extra RTT per new connection")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
