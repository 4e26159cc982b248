"""The several-worker listener keeps Nagle's algorithm off (uvicorn #3149: +40 ms/request)."""

from __future__ import annotations

import asyncio
import socket
import threading

from tierwise.api.server import tcp_listener


def test_accepted_connections_get_tcp_nodelay() -> None:
    listener = tcp_listener("127.0.0.1", 0)
    assert listener.proto == socket.IPPROTO_TCP
    port = listener.getsockname()[1]
    seen: list[int] = []

    async def main() -> None:
        def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=listener)
        async with server:
            _r, w = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            w.close()

    # in its own thread: a session-wide Playwright browser (tests/console) keeps an event
    # loop running in the main thread, where asyncio.run refuses to start
    runner = threading.Thread(target=asyncio.run, args=(main(),))
    runner.start()
    runner.join()
    assert seen and seen[0] != 0
