"""A small TCP proxy that moves the phone between "masts": the app sees a new client address at each hop.

The page always talks to one URL (so its cookie and origin never change); the proxy opens its
connections to the app from a chosen loopback source address (127.0.0.2, 127.0.0.3, ...). A hop
switches the source and drops every open connection, as a real change of network does, so the
browser's next request arrives from the new address.
"""

from __future__ import annotations

import socket
import threading
from typing import Any


class MastProxy:
    def __init__(self, upstream_port: int, source: str = "127.0.0.2") -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.source = source
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def hop(self, source: str) -> None:
        """Move to another mast: a new source address, and every open connection cut."""
        with self.lock:
            self.source = source
            doomed, self.open = self.open, set()
        for conn in doomed:
            _close(conn)

    def close(self) -> None:
        self.running = False
        _close(self.listener)
        self.hop(self.source)

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                source = self.source
            try:
                server = socket.create_connection(self.upstream, timeout=10, source_address=(source, 0))
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            with self.lock:
                self.open |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while chunk := src.recv(65536):
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        _close(src)
        _close(dst)


def _close(conn: Any) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()
