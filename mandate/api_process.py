"""What each of several API processes serves: ``mandate api`` with ``MANDATE_API_PROCESSES``
above 1 runs uvicorn's process manager, which starts that many processes on the one listening
socket (the kernel hands each connection to one of them) and starts a new one when one dies.
Each loads this factory."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from mandate.stack import die_with_parent

if TYPE_CHECKING:
    from fastapi import FastAPI


def app() -> FastAPI:
    from mandate.settings import Settings
    from web.app import create_app  # the API with the people's pages (web/)

    die_with_parent()  # its manager's end is its end, even a kill -9
    return settled(create_app(Settings()))


def settled(app: FastAPI) -> FastAPI:
    """The app, with everything made so far (modules, routes, catalogs: what lives as long as
    the process) moved out of the garbage collector's sight. Its full collections walked all of
    it: 160 ms each under load, a pause that every request in flight waited for."""
    gc.freeze()
    return app
