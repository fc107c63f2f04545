"""The selected nominee's seat page, without JavaScript: opening it answers nothing, a POST of
its form accepts or declines, in English, French, Spanish and Arabic; the consent page leads to
it; the coordinator's page lists each seat as it stands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from store import seats
from store.db import Database
from tests.seats_support import decided_round
from tests.web.manage_support import secretariat, sign_in_with_token
from tests.web.support import hidden, pages

WORDS = {
    "en": ("Accept the seat", "You have declined the seat."),
    "fr": ("Accepter le siège", "Vous avez refusé le siège."),
    "es": ("Aceptar el puesto", "Ha rechazado el puesto."),
    "ar": ("قبول المقعد", "لقد رفضت المقعد."),
}


@pytest.mark.parametrize("lang", sorted(WORDS))
async def test_the_nominee_declines_their_seat_on_its_page(
    db: Database, tmp_path: Path, lang: str
) -> None:
    r = decided_round(db, datetime.now(UTC) - timedelta(days=1))
    with db.write() as conn:
        seats.open_seats(conn, r.rid)
    accept, declined = WORDS[lang]
    bea, token = r.ids["Bea"], r.tokens["Bea"]
    async with pages(db, tmp_path) as http:
        http.cookies.set("mandate_lang", lang)
        consent = await http.get(f"/consent/{bea}", params={"token": token})
        assert consent.status_code == 200
        assert f"/seat/{bea}?token=" in consent.text
        page = await http.get(f"/seat/{bea}", params={"token": token})
        assert page.status_code == 200, page.text
        assert accept in page.text
        direction = "rtl" if lang == "ar" else "ltr"
        assert f'<html lang="{lang}" dir="{direction}">' in page.text
        with db.read() as conn:  # opening the page answered nothing
            assert seats.offer_for(conn, bea)["status"] == "offered"  # type: ignore[index]
        answered = await http.post(
            f"/seat/{bea}",
            data={"csrf": hidden(page.text, "csrf"), "token": token, "decision": "decline"},
            follow_redirects=True,
        )
        assert answered.status_code == 200, answered.text
        assert declined in answered.text
        assert accept not in answered.text  # answered: no form any more
    with db.read() as conn:
        view = seats.seats_of(conn, r.rid, r.cid)
    assert view[1].nomination_id == r.ids["Dora"]


async def test_a_wrong_token_opens_no_seat_page(db: Database, tmp_path: Path) -> None:
    r = decided_round(db, datetime.now(UTC) - timedelta(days=1))
    with db.write() as conn:
        seats.open_seats(conn, r.rid)
    async with pages(db, tmp_path) as http:
        page = await http.get(f"/seat/{r.ids['Bea']}", params={"token": r.tokens["Amir"]})
    assert page.status_code == 403
    assert "This link does not work" in page.text


async def test_the_coordinators_page_lists_each_seat_as_it_stands(
    db: Database, tmp_path: Path
) -> None:
    r = decided_round(db, datetime.now(UTC) - timedelta(days=1))
    with db.write() as conn:
        seats.open_seats(conn, r.rid)
        seats.answer(conn, r.ids["Bea"], r.tokens["Bea"], False)
        seats.answer(conn, r.ids["Amir"], r.tokens["Amir"], True)
    async with pages(db, tmp_path) as http:
        await sign_in_with_token(http, secretariat(db))
        http.cookies.set("mandate_lang", "fr")
        page = await http.get(f"/coordinator/{r.cid}/rounds/{r.rid}/seats")
    assert page.status_code == 200, page.text
    assert "Sièges" in page.text
    for name in ("Amir", "Dora", "Bea"):  # Bea declined, before Dora
        assert name in page.text
    assert "en attente de réponse" in page.text  # Dora's
    assert "Si un siège est refusé" in page.text
