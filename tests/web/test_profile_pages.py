"""A round's page shows a candidate's profile once consented to, and says where it was erased."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from policies.phases import Phase
from store import erasure, nominations, rounds
from store.db import Database
from tests.store.test_erasure import Round
from tests.web.support import pages
from tests.web.test_pages import words


async def test_a_candidates_erased_profile_is_said_erased(db: Database, tmp_path: Path) -> None:
    r = Round(db)
    shown, shown_token, shown_data = r.nominate(0)
    gone, gone_token, gone_data = r.nominate(1)
    for nid, token in ((shown, shown_token), (gone, gone_token)):
        r.answer(nid, token, True)
    r.close()
    with db.write() as conn:
        erasure.nomination_by_secretariat(conn, gone, "asked to be forgotten", "sec")
        rounds.mirror_phase(conn, r.id, Phase.NOMINATIONS_CLOSED, 3, datetime.now(UTC))
        assert nominations.get(conn, gone)["standing"]
    async with pages(db, tmp_path) as http:
        page = words((await http.get(f"/rounds/{r.id}")).text)
        french = words((await http.get(f"/rounds/{r.id}", headers={"accept-language": "fr"})).text)
    assert shown_data["nominee_name"] in page
    assert shown_data["statement"]["en"] in page
    assert gone_data["nominee_name"] not in page
    assert gone_data["statement"]["en"] not in page
    assert "Personal data erased" in page
    assert "Données personnelles effacées" in french
