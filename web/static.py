"""The stylesheet and icon, served from the app under a name that holds their hash, so a
browser keeps them for a year and still gets a changed file at once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
PREFIX = "/static/"


@dataclass(frozen=True)
class Asset:
    name: str  # as templates ask for it: site.css
    hashed: str  # as it is served: site.3f2a9c1b7e4d.css
    body: bytes
    media_type: str


def load() -> dict[str, Asset]:
    """Every file of web/static, by its plain name."""
    assets: dict[str, Asset] = {}
    for path in sorted(STATIC_DIR.iterdir()):
        if path.suffix not in MEDIA_TYPES:
            continue
        body = path.read_bytes()
        digest = hashlib.sha256(body).hexdigest()[:12]
        hashed = f"{path.stem}.{digest}{path.suffix}"
        assets[path.name] = Asset(path.name, hashed, body, MEDIA_TYPES[path.suffix])
    return assets
