"""``mandate results ROUND``: a decided round's results as a table, read from the public API.

Everything it prints is public: the round, each constituency's count sheet and the names beside
its ids. No token is needed, and nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from mandate.settings import Settings

TIMEOUT = 30.0


class ResultsError(Exception):
    """The results cannot be shown; the message says why."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("round", metavar="ROUND", help="the round's id")
    parser.add_argument(
        "--api",
        metavar="URL",
        help="the API's address (default: http://MANDATE_API_HOST:MANDATE_API_PORT, "
        "e.g. http://127.0.0.1:8000)",
    )


def local_api(settings: Settings) -> str:
    host = settings.api_host
    if ":" in host:  # an IPv6 address goes in brackets in a URL
        host = f"[{host}]"
    return f"http://{host}:{settings.api_port}"


def main(settings: Settings, args: argparse.Namespace) -> int:
    import httpx

    base = (args.api or local_api(settings)).rstrip("/")
    try:
        with httpx.Client(base_url=base, timeout=TIMEOUT) as client:
            text = render(*fetch(client, args.round))
    except ResultsError as exc:
        print(f"mandate results: {exc}", file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:
        print(f"mandate results: cannot read the API at {base}: {exc}", file=sys.stderr)
        return 1
    print(text)
    return 0


def fetch(
    client: httpx.Client, round_id: str
) -> tuple[dict[str, Any], list[tuple[dict[str, Any], dict[str, Any]]]]:
    """The round, and for each constituency taking part its public page and count sheet."""
    found = _get(client, f"/v1/rounds/{round_id}")
    phase = found["phase"]
    if phase == "cancelled":
        raise ResultsError(f"round {round_id} was cancelled: {found.get('cancel_reason')}")
    if phase != "decided":
        raise ResultsError(
            f"round {round_id} is not decided yet (it is {phase}); results are published "
            "once every constituency is counted"
        )
    sheets = []
    for p in found["participants"]:
        cid = p["constituency_id"]
        constituency = _get(client, f"/v1/constituencies/{cid}")
        count = _get(client, f"/v1/rounds/{round_id}/constituencies/{cid}/count")
        sheets.append((constituency, count))
    return found, sheets


def _get(client: httpx.Client, path: str) -> dict[str, Any]:
    r = client.get(path)
    if r.status_code == 404:
        raise ResultsError(f"{_detail(r)} (at {client.base_url})")
    if r.status_code >= 400:
        raise ResultsError(f"GET {path} answered {r.status_code}: {_detail(r)}")
    body: dict[str, Any] = r.json()
    return body


def _detail(r: httpx.Response) -> str:
    try:
        return str(r.json()["detail"])
    except (ValueError, KeyError, TypeError):
        return r.text[:200] or r.reason_phrase


def render(
    found: Mapping[str, Any], sheets: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]
) -> str:
    lines = [f"{found['title']} (round {found['id']}): decided", ""]
    for constituency, count in sheets:
        lines += _sheet(constituency, count)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _sheet(constituency: Mapping[str, Any], count: Mapping[str, Any]) -> list[str]:
    seats = count["seats"]
    lines = [
        f"{constituency['name']} ({constituency['id']})",
        f"  method {count['method']}, {seats} seat{'s' if seats != 1 else ''}",
    ]
    scored = bool(count["scores"])
    for title, ids in (("winners", count["winners"]), ("alternates", count["alternates"])):
        if not ids:
            lines.append(f"  {title}: none")
            continue
        lines.append(f"  {title}:")
        headers = ["#", "name", "organisation", *(["score", "decimal"] if scored else []), "id"]
        rows = [_row(n, cid, count) for n, cid in enumerate(ids, 1)]
        lines += ["    " + line for line in _table(headers, rows)]
    unfilled = count["unfilled"]
    if unfilled:
        lines.append(
            f"  unfilled: {unfilled} seat{'s' if unfilled != 1 else ''}: {count['unfilled_reason']}"
        )
    else:
        lines.append("  unfilled: none")
    return lines


def _row(n: int, cid: str, count: Mapping[str, Any]) -> list[str]:
    named = count["names"].get(cid) or {}
    row = [str(n), named.get("name") or "?", named.get("organisation") or ""]
    if count["scores"]:
        score = count["scores"].get(cid)
        row += [f"{score['label']} {score['value']}", score["decimal"]] if score else ["", ""]
    return [*row, cid]


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(headers), *(line(r) for r in rows)]
