"""A TCP proxy on 127.0.0.1 that puts LocalStack as far away as a real S3 region.

LocalStack answers in a millisecond or two; S3 takes tens. A tool that makes thousands of
requests one after another pays that on every one and a tool that runs them in parallel mostly
doesn't, so a benchmark on bare LocalStack flatters the former. Holding back the first chunk of
the server's answer to each burst of client bytes by L ms adds about one round trip to every
request (two for an upload that waits for ``100 Continue``), without having to parse HTTP.

Usage: python scripts/benchmark/lib/latency_proxy.py --port P --upstream-port 4566 --latency-ms L
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os

HOST = "127.0.0.1"
CHUNK = 256 * 1024


class Exchange:
    """Per connection: has the client sent bytes the server has not answered yet?"""

    def __init__(self) -> None:
        self.awaiting_answer = False


async def client_to_server(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, exchange: Exchange
) -> None:
    while data := await reader.read(CHUNK):
        exchange.awaiting_answer = True
        writer.write(data)
        await writer.drain()


async def server_to_client(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    exchange: Exchange,
    delay: float,
) -> None:
    while data := await reader.read(CHUNK):
        if exchange.awaiting_answer:
            exchange.awaiting_answer = False
            await asyncio.sleep(delay)
        writer.write(data)
        await writer.drain()


async def close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, ConnectionError):
        await writer.wait_closed()


async def serve_connection(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    upstream_port: int,
    delay: float,
) -> None:
    try:
        server_reader, server_writer = await asyncio.open_connection(HOST, upstream_port)
    except OSError:
        await close(client_writer)
        return
    exchange = Exchange()
    pumps = {
        asyncio.ensure_future(client_to_server(client_reader, server_writer, exchange)),
        asyncio.ensure_future(server_to_client(server_reader, client_writer, exchange, delay)),
    }
    # Either side hanging up ends the connection: HTTP clients don't half-close.
    _, pending = await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pumps, return_exceptions=True)
    await close(server_writer)
    await close(client_writer)


async def orphaned(parent: int) -> None:
    """Return once the process that started us is gone, so a killed bench leaves no proxy."""
    while os.getppid() == parent:
        await asyncio.sleep(1)


async def serve(port: int, upstream_port: int, latency_ms: float) -> None:
    delay = latency_ms / 1000

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await serve_connection(reader, writer, upstream_port, delay)

    server = await asyncio.start_server(handle, HOST, port, backlog=512)
    async with server:
        await orphaned(os.getppid())


def main() -> None:
    parser = argparse.ArgumentParser(description="A TCP proxy that adds latency to S3.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream-port", type=int, default=4566)
    parser.add_argument("--latency-ms", type=float, required=True)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.upstream_port, args.latency_ms))


if __name__ == "__main__":
    main()
