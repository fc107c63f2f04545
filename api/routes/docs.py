"""The API reference page and its stylesheet (``/`` is the people's home page: web/)."""

from __future__ import annotations

import gzip

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api import docs_page

# Out of the OpenAPI document: these are pages about the API, not part of it.
router = APIRouter(include_in_schema=False)

# The page has no script and no inline style, so the strictest policy holds.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _root(request: Request) -> str:
    # Paths, not absolute URLs: right behind a proxy that mounts the API under a prefix.
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


@router.get("/docs")
async def docs(request: Request) -> HTMLResponse:
    root = _root(request)
    page = docs_page.render(
        request.app.openapi(),
        # The version in the URL lets the stylesheet be cached for a year and still change.
        style_href=f"{root}/docs/style.css?v={docs_page.STYLE_VERSION}",
        openapi_href=f"{root}{request.app.openapi_url}",
    )
    headers = {**_PAGE_HEADERS, "Vary": "Accept-Encoding"}
    # About 90 KB of HTML is about 15 KB gzipped: it matters on a phone.
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(page.encode(), mtime=0)
        return HTMLResponse(body, headers={**headers, "Content-Encoding": "gzip"})
    return HTMLResponse(page, headers=headers)


@router.get("/docs/style.css")
async def style() -> Response:
    return Response(
        docs_page.STYLE,
        media_type="text/css",
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )
