"""The record signing key on disk: created once with mode 0600, never logged."""

from __future__ import annotations

import os
from pathlib import Path

from records.keys import Signer, generate_signer, signer_from_pem, signer_to_pem


def load_or_create(path: Path) -> Signer:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process of the stack created it first: use that one
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(signer_to_pem(generate_signer()))
    return signer_from_pem(path.read_bytes())
