"""Running the API under uvicorn, with one or several worker processes.

With ``workers > 1`` uvicorn binds the listening socket itself with ``proto=0``; accepted
connections inherit it and asyncio then leaves Nagle's algorithm on, so every keep-alive
request after the first waits ~40 ms for the client's delayed ACK (uvicorn issue #3149,
measured here: 22 requests/s on one connection instead of ~2 000). We bind the socket with
``IPPROTO_TCP`` and hand it to uvicorn's own supervisor.
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

APP = "tierwise.api.main:app"


def tcp_listener(host: str, port: int) -> socket.socket:
    """A listening TCP socket whose accepted connections get TCP_NODELAY from asyncio."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def run(host: str, port: int, workers: int = 1, log_level: str = "warning") -> None:
    """Serve :data:`APP` until interrupted."""
    config = uvicorn.Config(
        APP, host=host, port=port, workers=workers, log_level=log_level, access_log=False
    )
    if workers == 1:
        uvicorn.Server(config).run()
        return
    Multiprocess(config, sockets=[tcp_listener(host, port)]).run()
