"""Shared by the reference runners: time a call the way ``bench/methods.py`` times Mandate's."""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO, TypeVar

T = TypeVar("T")


def answer_channel() -> TextIO:
    """The real standard output, for the one JSON answer; file descriptor 1 then goes to
    standard error, so that whatever the library prints or logs cannot get mixed into it."""
    sys.stdout.flush()
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    return channel


def answer(channel: TextIO, data: dict[str, Any]) -> None:
    channel.write(json.dumps(data) + "\n")
    channel.flush()


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (a solver PuLP starts)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def enough(walls: list[float], repeat: int, slow: float) -> bool:
    """Whether to stop timing: ``repeat`` runs; or one run slower than ``slow`` seconds; or
    three runs when together they took more than ``slow`` / 4 (a long count needs fewer)."""
    return len(walls) >= repeat or walls[-1] > slow or (len(walls) >= 3 and sum(walls) > slow / 4)


def timed(call: Callable[[], T], repeat: int, slow: float) -> tuple[T, list[float], list[float]]:
    """Run ``call`` until ``enough``; the last answer, and the wall and CPU seconds of each run."""
    walls: list[float] = []
    cpus: list[float] = []
    while True:
        gc.collect()
        c0, t0 = cpu_seconds(), time.perf_counter()
        result = call()
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu_seconds() - c0)
        if enough(walls, repeat, slow):
            return result, walls, cpus
