"""A member organisation's pages and the nominee's, without a browser, on each database: the
dashboard and its deadlines, nominating (each error beside its field), the nominee's page that
never consents by being opened, accepting, declining and erasing, endorsing, approval and
ranked ballots (each refusal beside its field) with the receipt, and HTML typed into every
free-text field shown back as text."""

from __future__ import annotations

import re
import uuid
from html import unescape
from pathlib import Path

import httpx
from sqlalchemy import select

from policies.phases import Phase
from store import nominations, profiles
from store.db import Database
from store.tables import ballot, log_entry
from tests.web.manage_support import (
    ESCAPED,
    HOSTILE,
    constituency,
    csrf_of,
    escaped,
    sign_in_with_token,
    words,
)
from tests.web.member_support import consent_link, member_round
from tests.web.support import hidden, pages

WOMAN = {"constraints": [{"attribute": "gender", "value": "woman", "min": 1}]}


def _nomination(db: Database, nomination_id: str) -> dict[str, object]:
    with db.read() as conn:
        return dict(nominations.get(conn, nomination_id))


async def test_a_member_nominates_and_the_nominee_accepts_on_their_page(
    db: Database, tmp_path: Path
) -> None:
    made = member_round(db, Phase.NOMINATIONS_OPEN, {**WOMAN, "endorsements": {"required": 1}})
    base = f"/member/rounds/{made.id}"
    async with pages(db, tmp_path) as member, pages(db, tmp_path) as nominee:
        await sign_in_with_token(member, made.tokens[0])
        home = (await member.get("/member")).text
        assert "Nominate by" in home
        assert f'href="{base}/nominate"' in home
        form = (await member.get(f"{base}/nominate")).text
        assert 'id="attr-gender"' in form  # the attribute the balance rules count
        assert "woman" in words(form)
        assert 'id="attr-region"' not in form  # from the organisation, never asked
        csrf = hidden(form, "csrf")
        # Sent empty: each error beside its field, the summary linking to each.
        r = await member.post(f"{base}/nominate", data={"csrf": csrf, "organisation_id": ""})
        assert r.status_code == 422
        for field in ("nominee_name", "organisation_id", "statement"):
            assert f'id="{field}-error"' in r.text, field
        assert 'href="#statement_en"' in r.text  # the statement group's first field
        assert "Write the nominee's statement in at least one language" in unescape(r.text)
        r = await member.post(
            f"{base}/nominate",
            data={
                "csrf": csrf,
                "nominee_name": "Rosa Díaz",
                "organisation_id": made.round.members[0],
                "nominee_email": "not an address",
                "statement_fr": "Rosa parlera pour nous.",
                "attr-gender": "woman",
            },
        )
        assert r.status_code == 422
        assert 'id="nominee_email-error"' in r.text
        assert "Rosa parlera pour nous." in r.text  # what was typed is kept
        r = await member.post(
            f"{base}/nominate",
            data={
                "csrf": csrf,
                "nominee_name": "Rosa Díaz",
                "organisation_id": made.round.members[0],
                "nominee_email": "rosa@example.org",
                "statement_fr": "Rosa parlera pour nous.",
                "statement_ar": "ستتحدث روزا باسمنا.",
                "attr-gender": "woman",
            },
        )
        assert r.status_code == 200, r.text
        assert "Pass this link to the nominee" in r.text
        assert "does not send it to the nominee itself yet" in r.text
        link = consent_link(r.text)
        nomination_id = link.split("/")[2].split("?")[0]
        row = _nomination(db, nomination_id)
        assert row["statement"] == {"fr": "Rosa parlera pour nous.", "ar": "ستتحدث روزا باسمنا."}
        assert row["attributes"]["gender"] == "woman"  # type: ignore[index]
        assert row["nominee_email"] == "rosa@example.org"

        # The nominee opens the link: the page says what accepting publishes, and where.
        page = await nominee.get(link)
        assert page.status_code == 200
        text = words(page.text)
        for said in ("What accepting publishes", "Rosa Díaz", "Where", "bundle", "never published"):
            assert said in text, said
        assert "rosa@example.org" not in page.text  # the contact address is never shown
        assert _nomination(db, nomination_id)["consent"] == "pending"  # opening never consents
        # A wrong token, or none, shows nothing of the nomination.
        for wrong in (link.split("token=")[0] + "token=mdc_wrong", link.split("?")[0]):
            r = await nominee.get(wrong)
            assert r.status_code == 403
            assert "Rosa" not in r.text
        # Without its CSRF token the form is refused; with it, it accepts.
        token = hidden(page.text, "token")
        r = await nominee.post(link.split("?")[0], data={"token": token, "decision": "accept"})
        assert r.status_code == 403
        assert _nomination(db, nomination_id)["consent"] == "pending"
        r = await nominee.post(
            link.split("?")[0],
            data={"csrf": hidden(page.text, "csrf"), "token": token, "decision": "accept"},
        )
        assert r.status_code == 303
        shown = await nominee.get(r.headers["location"])
        assert "You have accepted the nomination" in shown.text
        assert "What is public" in shown.text
        assert _nomination(db, nomination_id)["consent"] == "accepted"

        # Another member endorses it from the round's page.
        async with pages(db, tmp_path) as other:
            await sign_in_with_token(other, made.tokens[1])
            listed = (await other.get(base)).text
            assert "Endorse the nomination of Rosa Díaz" in listed
            r = await other.post(
                f"/member/nominations/{nomination_id}/endorsement",
                data={"csrf": hidden(listed, "csrf")},
            )
            assert r.status_code == 303
            listed = (await other.get(r.headers["location"])).text
            assert "Your organisation endorses this nomination." in listed
            assert "endorsed by your organisation" in listed
            assert "Endorse the nomination of" not in listed
            home = words((await other.get("/member")).text)
            assert "It endorses 1 nomination." in home
        # The nominating organisation cannot endorse its own nominee: no button.
        assert "Endorse the nomination" not in (await member.get(base)).text


async def test_a_nominee_declines_then_erases_their_data(db: Database, tmp_path: Path) -> None:
    made = member_round(db, Phase.NOMINATIONS_OPEN)
    nomination_id, token = made.nominate(0, "Joseph Otieno", "man")
    link = f"/consent/{nomination_id}?token={token}"
    async with pages(db, tmp_path) as nominee:
        page = (await nominee.get(link)).text
        csrf = hidden(page, "csrf")
        r = await nominee.post(
            f"/consent/{nomination_id}", data={"csrf": csrf, "token": token, "decision": "decline"}
        )
        assert r.status_code == 303
        page = (await nominee.get(r.headers["location"])).text
        assert "You have declined the nomination" in page
        assert "Erase my personal data" in page
        r = await nominee.post(
            f"/consent/{nomination_id}/erasure", data={"csrf": csrf, "token": token}
        )
        assert r.status_code == 303
        page = (await nominee.get(r.headers["location"])).text
        assert "Your personal data in this nomination are erased." in page
        assert "Joseph" not in page
        row = _nomination(db, nomination_id)
        assert row["nominee_name"] is None
        assert row["erased_at"] is not None
        # Answering again changes nothing: the page says where it stands.
        r = await nominee.post(
            f"/consent/{nomination_id}", data={"csrf": csrf, "token": token, "decision": "accept"}
        )
        assert r.status_code == 303
        assert _nomination(db, nomination_id)["consent"] == "declined"


async def test_an_approval_ballot_is_cast_and_its_receipt_shown(
    db: Database, tmp_path: Path
) -> None:
    made = member_round(db, Phase.VOTING_OPEN, {"max_approvals": 1}, genders=("woman", "man"))
    base = f"/member/rounds/{made.id}"
    async with pages(db, tmp_path) as member, pages(db, tmp_path) as other:
        await sign_in_with_token(other, made.tokens[1])
        page = (await other.get(f"{base}/ballot")).text
        r = await other.post(
            f"{base}/ballot", data={"csrf": hidden(page, "csrf"), "approve": _candidates(page)[:1]}
        )
        assert r.status_code == 303
        theirs = _receipt((await other.get(r.headers["location"])).text)

        await sign_in_with_token(member, made.tokens[0])
        home = (await member.get("/member")).text
        assert "Vote by" in home
        assert "Your organisation has not voted yet." in home
        page = (await member.get(f"{base}/ballot")).text
        assert theirs not in page  # nobody else's ballot, nor its receipt
        assert "sealed until voting closes" in page
        candidates = _candidates(page)
        assert len(candidates) == 2
        csrf = hidden(page, "csrf")
        # Too many approvals: refused beside the group, nothing cast.
        r = await member.post(f"{base}/ballot", data={"csrf": csrf, "approve": candidates})
        assert r.status_code == 422
        assert 'id="approvals-error"' in r.text
        assert "Choose at most 1 candidate" in r.text
        assert 'href="#approve-1"' in r.text
        # What was ticked stays ticked.
        assert len(re.findall(r'<input type="checkbox"[^>]* checked', r.text)) == 2
        r = await member.post(f"{base}/ballot", data={"csrf": csrf, "approve": candidates[1]})
        assert r.status_code == 303
        page = (await member.get(r.headers["location"])).text
        assert "Your ballot is cast. Keep its receipt." in page
        receipt = _receipt(page)
        with db.read() as conn:
            assert (
                conn.execute(
                    select(log_entry.c.type).where(log_entry.c.leaf_hash == receipt)
                ).scalar()
                == "ballot.cast"
            )
        assert f'href="/receipt?r={receipt}"' in page
        home = (await member.get("/member")).text
        assert "Your organisation has voted." in home
        assert receipt in home
        assert theirs not in home


def _candidates(page: str) -> list[str]:
    return re.findall(r'name="approve" value="([^"]+)"', page)


def _receipt(page: str) -> str:
    found = re.search(r'<code class="hash" dir="ltr">([0-9a-f]{64})</code>', page)
    assert found, "no receipt on the page"
    return found.group(1)


async def test_a_ranked_ballot_without_script_refuses_repeats_and_gaps_beside_the_field(
    db: Database, tmp_path: Path
) -> None:
    made = member_round(
        db, Phase.VOTING_OPEN, {"method": "ranked.stv"}, genders=("woman", "man", "woman")
    )
    base = f"/member/rounds/{made.id}/ballot"
    async with pages(db, tmp_path) as member:
        await sign_in_with_token(member, made.tokens[0])
        page = (await member.get(base)).text
        for i in (1, 2, 3):
            assert f'<label for="rank-{i}">Choice {i}</label>' in page
        assert 'id="rank-4"' not in page
        ids = re.findall(r'<option value="([0-9a-f-]{36})"', page)[:3]
        csrf = hidden(page, "csrf")
        r = await member.post(base, data={"csrf": csrf, "rank-1": ids[0], "rank-2": ids[0]})
        assert r.status_code == 422
        assert 'id="rank-2-error"' in r.text
        assert "This candidate is already your choice 1" in r.text
        r = await member.post(base, data={"csrf": csrf, "rank-1": ids[0], "rank-3": ids[1]})
        assert r.status_code == 422
        assert 'id="rank-2-error"' in r.text
        assert "Fill in your choices in order" in r.text
        r = await member.post(base, data={"csrf": csrf})
        assert r.status_code == 422
        assert "Choose at least your first choice" in r.text
        r = await member.post(base, data={"csrf": csrf, "rank-1": ids[2], "rank-2": ids[0]})
        assert r.status_code == 303
        with db.read() as conn:
            cast = conn.execute(
                select(ballot.c.ranking).where(ballot.c.round_id == made.id)
            ).scalar_one()
        assert cast == [ids[2], ids[0]]


async def test_a_member_acts_only_in_its_own_constituency(db: Database, tmp_path: Path) -> None:
    made = member_round(db, Phase.NOMINATIONS_OPEN)
    nomination_id, _ = made.nominate(0, "Rosa Díaz")
    elsewhere = constituency(db)
    async with pages(db, tmp_path) as http:
        await sign_in_with_token(http, elsewhere.member_token)
        assert (await http.get("/member")).status_code == 200
        for path in (
            f"/member/rounds/{made.id}",
            f"/member/rounds/{made.id}/nominate",
            f"/member/rounds/{made.id}/ballot",
        ):
            r = await http.get(path)
            assert r.status_code == 403, path
            assert "Not allowed" in r.text
        csrf = await csrf_of(http, "/account")
        r = await http.post(f"/member/nominations/{nomination_id}/endorsement", data={"csrf": csrf})
        assert r.status_code == 403
        r = await http.post(
            f"/member/rounds/{made.id}/nominate",
            data={"csrf": csrf, "nominee_name": "X", "statement_en": "x"},
        )
        assert r.status_code == 403
    with db.read() as conn:
        assert nominations.endorsers(conn, nomination_id) == []
        assert len(nominations.list_for(conn, made.id, made.cid)) == 1


async def _post(http: httpx.AsyncClient, path: str, data: dict[str, str]) -> list[str]:
    r = await http.post(path, data=data)
    assert r.status_code < 500, (path, r.status_code)
    shown = [r.text]
    if r.status_code == 303:
        shown.append((await http.get(r.headers["location"])).text)
    for page in shown:
        escaped(page)
    return shown


async def test_html_in_every_free_text_field_of_the_nominate_form_is_shown_as_text(
    db: Database, tmp_path: Path
) -> None:
    made = member_round(db, Phase.NOMINATIONS_OPEN, WOMAN)
    base = f"/member/rounds/{made.id}"
    hostile = {
        "nominee_name": HOSTILE,
        "organisation_id": HOSTILE,
        "nominee_email": HOSTILE,
        **{f"statement_{lang}": HOSTILE for lang in ("en", "fr", "es", "ar")},
        "attr-gender": HOSTILE,
    }
    async with pages(db, tmp_path) as member, pages(db, tmp_path) as nominee:
        await sign_in_with_token(member, made.tokens[0])
        csrf = await csrf_of(member, f"{base}/nominate")
        # Refused (not an address, not a member): every value shown back as text.
        refused = await _post(member, f"{base}/nominate", {"csrf": csrf, **hostile})
        assert ESCAPED in refused[0]
        # Accepted: the name, statements and attribute as text wherever they are shown.
        accepted = {**hostile, "organisation_id": made.round.members[0], "nominee_email": ""}
        made_page = await _post(member, f"{base}/nominate", {"csrf": csrf, **accepted})
        assert ESCAPED in made_page[0]
        link = consent_link(made_page[0])
        nomination_id = link.split("/")[2].split("?")[0]
        for path in (base, "/member"):
            escaped((await member.get(path)).text)
        page = (await nominee.get(link)).text
        escaped(page)
        assert ESCAPED in page
        shown = await _post(
            nominee,
            link.split("?")[0],
            {"csrf": hidden(page, "csrf"), "token": hidden(page, "token"), "decision": "accept"},
        )
        assert ESCAPED in shown[1]
        # Another member sees it, endorses it, and the public round page shows it as text.
        async with pages(db, tmp_path) as other:
            await sign_in_with_token(other, made.tokens[1])
            page = (await other.get(base)).text
            escaped(page)
            assert ESCAPED in page
            await _post(
                other,
                f"/member/nominations/{nomination_id}/endorsement",
                {"csrf": hidden(page, "csrf")},
            )
        made.round.to(Phase.VOTING_OPEN)
        page = (await member.get(f"/rounds/{made.id}")).text
        escaped(page)
        assert ESCAPED in page
        ballot = (await member.get(f"{base}/ballot")).text
        escaped(ballot)
        assert ESCAPED in ballot
    with db.read() as conn:
        row = nominations.get(conn, nomination_id)
    assert profiles.state(row) == profiles.PUBLIC
    assert row["nominee_name"] == HOSTILE
    assert uuid.UUID(nomination_id)
