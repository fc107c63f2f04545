"""An API process moves what it made at start out of the garbage collector's sight
(mandate/api_process.py ``settled``), so its full collections stay short under load."""

from __future__ import annotations

import gc

from fastapi import FastAPI

from mandate.api_process import settled


def test_settling_freezes_what_was_made_at_start() -> None:
    app = FastAPI()
    gc.unfreeze()
    try:
        assert settled(app) is app
        assert gc.get_freeze_count() > 1000  # the modules and the app, at least
    finally:
        gc.unfreeze()  # the test process goes on collecting as before
