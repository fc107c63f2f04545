"""The pages' defences: CSRF on every form, escaping of what people write, the headers, and the
session cookie."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from store import signatures
from store.db import Database
from tests import campaign_support as cs
from tests.web.support import (
    SIGN_IN_LINK,
    hidden,
    last_mail,
    member_with_address,
    open_campaign,
    pages,
    sign_in_by_mail,
)

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


async def test_every_form_is_refused_without_its_csrf_token(db: Database, tmp_path: Path) -> None:
    row = open_campaign(db)
    email = f"csrf-{uuid.uuid4().hex[:6]}@union.example"
    member_with_address(db, cs.constituency(db), f"Union {uuid.uuid4().hex[:6]}", email)
    async with pages(db, tmp_path) as http:
        page = (await http.get(f"/campaigns/{row['id']}")).text
        token = hidden(page, "csrf")
        form = {
            "statement_hash": hidden(page, "statement_hash"),
            "org_name": "Org",
            "country": "MX",
            "org_type": "ngo",
            "signer_name": "A",
            "signer_role": "B",
            "email": "a@example.org",
        }
        anonymous_posts = {
            f"/campaigns/{row['id']}/signatures": form,
            "/sign-in": {"email": email},
            "/sign-in-with-token": {"token": "mdt_x"},
            "/signatures/x/code": {"code": "123456"},
            "/signatures/x/new-code": {"key": "x"},
            "/signatures/x/withdrawal": {"key": "x"},
            "/sign-in/mwl_x": {"identity": "x"},
        }
        for path, data in anonymous_posts.items():
            for bad in (None, "", "forged", token[:-1] + ("0" if token[-1] != "0" else "1")):
                sent = data if bad is None else {**data, "csrf": bad}
                r = await http.post(path, data=sent)
                assert r.status_code == 403, (path, bad, r.status_code)
                assert r.headers["content-type"].startswith("text/html")
                assert "This form has expired" in r.text
        # Nothing was written: no signature, no mail.
        _no_signature(db, row["id"])
        # Another reader's token does not do either.
        async with pages(db, tmp_path) as other:
            theirs = hidden((await other.get("/sign-in")).text, "csrf")
        r = await http.post("/sign-in", data={"csrf": theirs, "email": email})
        assert r.status_code == 403
        # Signed in, the anonymous token no longer works, and the session's does.
        await sign_in_by_mail(http, db, email)
        signed_in = (await http.get(f"/campaigns/{row['id']}")).text
        session_token = hidden(signed_in, "csrf")
        assert session_token != token
        for path in (f"/campaigns/{row['id']}/member-signature", "/sign-out"):
            r = await http.post(
                path, data={"csrf": token, "statement_hash": form["statement_hash"]}
            )
            assert r.status_code == 403, path
        r = await http.post(
            f"/campaigns/{row['id']}/member-signature",
            data={"csrf": session_token, "statement_hash": form["statement_hash"]},
        )
        assert r.status_code == 303


def _no_signature(db: Database, campaign_id: str) -> None:
    with db.read() as conn:
        counts = signatures.counts(conn, campaign_id)
    assert sum(counts.values()) == 0, counts


async def test_what_people_write_is_shown_escaped(db: Database, tmp_path: Path) -> None:
    row = open_campaign(db)
    async with pages(db, tmp_path) as http:
        page = (await http.get(f"/campaigns/{row['id']}")).text
        form = {
            "csrf": hidden(page, "csrf"),
            "statement_hash": hidden(page, "statement_hash"),
            "org_name": f"Org {uuid.uuid4().hex[:4]} {HOSTILE}",
            "country": "MX",
            "org_type": "ngo",
            "signer_name": HOSTILE,
            "signer_role": HOSTILE,
            "email": "x@example.org",
        }
        # Refused forms show every value back, escaped.
        refused = await http.post(
            f"/campaigns/{row['id']}/signatures", data={**form, "email": HOSTILE}
        )
        assert refused.status_code == 422
        _escaped(refused.text)
        assert refused.text.count("&lt;script&gt;") >= 4  # the three fields and the address
        signed = await http.post(f"/campaigns/{row['id']}/signatures", data=form)
        assert signed.status_code == 303
        code_page = await http.get(signed.headers["location"])
        _escaped(code_page.text)
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in code_page.text
        sid = signed.headers["location"].split("/")[2]
        confirmed = await http.post(
            signed.headers["location"],
            data={"csrf": form["csrf"], "code": cs.mailed_code(db, sid)},
        )
        _escaped((await http.get(confirmed.headers["location"])).text)
        bad_receipt = await http.get("/receipt", params={"r": HOSTILE})
        _escaped(bad_receipt.text)
        sign_in = await http.post("/sign-in", data={"csrf": form["csrf"], "email": HOSTILE})
        assert sign_in.status_code == 422
        _escaped(sign_in.text)
    cs.conclude(db, row["id"])
    async with pages(db, tmp_path) as http:
        listed = await http.get(f"/campaigns/{row['id']}")
        assert "&lt;script&gt;" in listed.text  # the organisation's name on the list
        _escaped(listed.text)
        _escaped((await http.get(f"/campaigns/{row['id']}", params={"type": HOSTILE})).text)


def _escaped(page: str) -> None:
    """Nothing anyone wrote became markup: the pages have no script and no image at all."""
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()


async def test_every_page_sends_the_security_headers(db: Database, tmp_path: Path) -> None:
    row = open_campaign(db)
    async with pages(db, tmp_path) as http:
        for path in (
            "/",
            f"/campaigns/{row['id']}",
            "/directory",
            "/receipt",
            "/sign-in",
            "/preferences",
            "/rounds/nope",
        ):
            r = await http.get(path)
            csp = r.headers["content-security-policy"]
            assert "unsafe-inline" not in csp
            assert "unsafe-eval" not in csp, path
            assert "default-src 'none'" in csp
            assert "frame-ancestors 'none'" in csp
            assert "script-src" not in csp  # default-src 'none': no script at all
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["referrer-policy"] == "no-referrer"
            assert r.headers["content-type"].startswith("text/html")
            assert "<script" not in r.text
            assert " style=" not in r.text, path
        home = (await http.get("/")).text
        css = re.search(r'href="(/static/site\.[0-9a-f]{12}\.css)"', home)
        assert css, "the stylesheet's URL holds its hash"
        r = await http.get(css.group(1))
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/css")
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert (await http.get("/static/site.css")).status_code == 404  # only by its hash


@pytest.mark.parametrize("public_url", ["http://mandate.example", "https://mandate.example"])
async def test_the_session_cookie_is_httponly_lax_and_secure_over_https(
    db: Database, tmp_path: Path, public_url: str
) -> None:
    email = f"cookie-{uuid.uuid4().hex[:6]}@union.example"
    member_with_address(db, cs.constituency(db), f"Union {uuid.uuid4().hex[:6]}", email)
    async with pages(db, tmp_path, public_url=public_url, web_session_ttl=3600) as http:
        # httpx keeps Secure cookies for https only: read the header the server sent.
        page = (await http.get("/sign-in")).text
        await http.post("/sign-in", data={"csrf": hidden(page, "csrf"), "email": email})
        found = SIGN_IN_LINK.search(last_mail(db, "sign_in", email))
        assert found
        assert last_mail(db, "sign_in", email).count(f"{public_url}/sign-in/mwl_") == 1
        link = (await http.get(f"/sign-in/{found.group(1)}")).text
        r = await http.post(
            f"/sign-in/{found.group(1)}",
            data={"csrf": hidden(link, "csrf"), "identity": hidden(link, "identity")},
        )
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("mandate_session=mws_")
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Max-Age=3600" in cookie
        assert ("Secure" in cookie) == public_url.startswith("https")
