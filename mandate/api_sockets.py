"""Several API processes on one port, each with a listening socket of its own.

uvicorn's process manager gives every process the one socket it bound. Each process's event
loop accepts every connection waiting when it wakes, so the first awake took most of them: in a
benchmark's burst of 100 connections, one process served three writes in four, its writing
thread competing for the interpreter lock with its busy event loop while the other process sat
idle. Here the manager binds one socket per process on the same port with ``SO_REUSEPORT``, and
the kernel spreads new connections over them evenly. A process that dies is replaced on the
same socket, which the manager keeps listening meanwhile: connections that arrive in between
wait in its queue for the new process instead of being refused.
"""

from __future__ import annotations

import socket

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` sockets bound to ``host``:``port``, sharing it; the processes listen on them."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    made: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family=family)
            made.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            # Listening from now on: a connection made before its process is up waits for it.
            sock.listen(2048)
            sock.set_inheritable(True)
    except BaseException:
        for sock in made:
            sock.close()
        raise
    return made


class SocketPerProcess(Multiprocess):
    """uvicorn's manager (signals, health checks, replacing a dead process), with process ``i``
    on socket ``i``."""

    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        self.processes_num = len(sockets)

    def _start(self, index: int) -> Process:
        process = Process(self.config, [self.sockets[index]])
        process.start()
        return process

    def init_processes(self) -> None:
        self.processes = [self._start(i) for i in range(self.processes_num)]

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        for index, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # hung, or dead already
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                # It failed before serving (the app or its settings): so would every other.
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            self.processes[index] = self._start(index)

    def restart_all(self) -> None:
        # SIGHUP: each process replaced in turn, on its own socket.
        for index, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._start(index)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                return
            old.terminate()
            old.join()
            self.processes[index] = new
