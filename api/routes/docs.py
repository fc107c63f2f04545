"""The API reference's pages and their stylesheet (``/`` is the people's home page: web/)."""

from __future__ import annotations

import gzip

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from api.docs_pages import pages
from api.docs_pages.style import STYLE, STYLE_VERSION

# Out of the OpenAPI document: these are pages about the API, not part of it.
router = APIRouter(include_in_schema=False)

# The pages have no script and no inline style, so the strictest policy holds.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@router.get("/docs")
async def index(request: Request) -> Response:
    return _page(request, pages.INDEX)


# Before /docs/{name}, which would take it for a page.
@router.get("/docs/style.css")
async def style() -> Response:
    return Response(
        STYLE,
        media_type="text/css",
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/docs/{name}")
async def page(request: Request, name: str) -> Response:
    """A tag's operations, or the schemas."""
    return _page(request, name)


def _page(request: Request, name: str) -> Response:
    # Paths, not absolute URLs: right behind a proxy that mounts the API under a prefix.
    root = str(request.scope.get("root_path", "")).rstrip("/")
    reference = pages.Reference(
        request.app.openapi(),
        docs_href=f"{root}/docs",
        # The version in the URL lets the stylesheet be cached for a year and still change.
        style_href=f"{root}/docs/style.css?v={STYLE_VERSION}",
        openapi_href=f"{root}{request.app.openapi_url}",
    )
    html = reference.render(name)
    if html is None:
        # The app's own 404 (``not_found``), as for any other address under /docs it lacks.
        raise HTTPException(status_code=404)
    headers = {**_PAGE_HEADERS, "Vary": "Accept-Encoding"}
    # A page of 40 KB of HTML is about 7 KB gzipped: it matters on a phone.
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(html.encode(), mtime=0)
        return HTMLResponse(body, headers={**headers, "Content-Encoding": "gzip"})
    return HTMLResponse(html, headers=headers)
