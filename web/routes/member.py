"""A member organisation's pages: what its constituency asks of it now (rounds, campaigns) and
by when, nominating, endorsing, voting, and its receipts.

Each page checks, as the API does, that the session is a member organisation's and acts only
in its own constituency. The writes are the API's: the same store functions
(store/nominations.py, store/ballots.py), the API's request models (NominationIn, BallotIn),
the same rate limits (web/actions.py). Nominations and endorsements cannot be withdrawn yet
(the store has no such operation); a campaign signature is withdrawn on the campaign's page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection, RowMapping
from starlette.datastructures import FormData

from api import schemas as s
from api.routes.rounds import visible_round
from policies import rules as r
from policies.access import Principal, require_member
from policies.ballots import InvalidBallot
from policies.campaigns import CampaignPhase, Signers
from policies.errors import AlreadyExists, Forbidden
from policies.notice import last_nomination_at
from policies.phases import Phase
from store import (
    campaigns,
    member_receipts,
    nominations,
    profiles,
    ratification,
    registry,
    rounds,
    signatures,
    withdrawals,
)
from store import rules as rules_store
from store.ballots import cast
from store.member_receipts import BallotReceipt, SignatureReceipt
from store.nominations import DERIVED
from web import i18n, words
from web.actions import write
from web.deps import FormDep, ReaderDep, read, signed_in
from web.errors import N_
from web.forms import Form
from web.pages import PageRoute, Reader, redirect, render, web_of
from web.routes.coordinator import REJECTION_CODES
from web.validation import Words, validated

router = APIRouter(route_class=PageRoute, include_in_schema=False)

STATEMENT_MAX = 10_000  # api.schemas.StatementText
ATTRIBUTE_MAX = 100  # api.schemas.Label
DONE = {
    "endorsed": N_("Your organisation endorses this nomination."),
    "withdrawn": N_(
        "Your organisation has withdrawn this nomination. It stays listed as withdrawn."
    ),
    "unendorsed": N_("Your organisation no longer endorses this nomination."),
    "cast": N_("Your ballot is cast. Keep its receipt."),
}
NOMINATION_FIELDS = {
    "nominee_name": N_("Enter the nominee's name"),
    "organisation_id": N_("Choose the nominee's organisation"),
    "nominee_email": N_("Enter an e-mail address in the right format, like name@example.org"),
    "statement": N_("Write the nominee's statement in at least one language"),
}
TOO_LONG = N_("Write at most %(num)s characters")
NOT_A_MEMBER = N_("Choose one of your constituency's member organisations")
ONE_NOMINEE = N_(
    "This organisation already has a nominee in this round, and the rules allow one per "
    "organisation"
)
RANK_REPEATED = N_("This candidate is already your choice %(num)s: choose another, or none")
RANK_GAP = N_("Fill in your choices in order: this one is empty, and a later one is not")
RANK_EMPTY = N_("Choose at least your first choice")
BALLOT_REFUSED = N_(
    "This ballot could not be accepted. The candidate list may have changed: reload the page "
    "and vote again."
)
APPROVALS = "approvals"  # the approval ballot's fieldset, where its errors go


def _member(who: Reader) -> Principal:
    caller = signed_in(who)
    require_member(caller)
    return caller


def _org(caller: Principal) -> str:
    assert caller.organisation_id is not None  # every member credential names one
    return caller.organisation_id


def _cid(caller: Principal) -> str:
    assert caller.constituency_id is not None
    return caller.constituency_id


def _takes_part(row: RowMapping, constituency_id: str) -> bool:
    return any(p["constituency_id"] == constituency_id for p in row["participants"])


def _own_round(conn: Connection, round_id: str, caller: Principal) -> RowMapping:
    """A published round the member's constituency takes part in; refused otherwise."""
    row = visible_round(rounds.get(conn, round_id), caller)
    if not _takes_part(row, _cid(caller)):
        raise Forbidden("your constituency does not take part in this round")
    return row


def _nominate_by(row: RowMapping) -> datetime:
    """The last moment a nomination is taken: each nominee keeps the consent minimum."""
    return last_nomination_at(rounds.schedule_of(row), rounds.notice_of(row))


# -- the dashboard


@dataclass(frozen=True)
class RoundItem:
    row: RowMapping
    rules: r.SelectionRules
    nominate_by: datetime
    nominated: int  # nominations the organisation made
    endorsed: int  # nominations it endorsed
    voted: BallotReceipt | None

    @property
    def ballots(self) -> bool:
        return r.ballot_shape(self.rules.method) != r.NO_BALLOT


@dataclass(frozen=True)
class CampaignItem:
    row: RowMapping
    title: str
    title_lang: str
    mine: RowMapping | None  # its signature


@dataclass(frozen=True)
class Dashboard:
    constituency: RowMapping
    rounds: list[RoundItem]
    campaigns: list[CampaignItem]
    ballots: list[BallotReceipt]
    signatures: list[SignatureReceipt]
    titles: dict[str, str]  # round and campaign id -> title
    title_langs: dict[str, str]  # campaign id -> the language its title is in
    to_ratify: list[RowMapping]  # draft rounds whose rules are put to the members


def _round_item(conn: Connection, row: RowMapping, caller: Principal) -> RoundItem:
    cid, org = _cid(caller), _org(caller)
    viewer = profiles.viewer(conn, caller, cid)
    nominated = endorsed = 0
    for n in nominations.list_for(conn, row["id"], cid):
        nominated += n["nominated_by"] in viewer.nominated_with
        endorsed += any(e["id"] == org for e in nominations.endorsers(conn, n["id"]))
    return RoundItem(
        row,
        rules_store.rules_for(conn, row["id"], cid),
        _nominate_by(row),
        nominated,
        endorsed,
        member_receipts.last_ballot(conn, row["id"], cid, org),
    )


def _may_sign(row: RowMapping, constituency_id: str) -> bool:
    return Signers(row["signers"]) is Signers.ANY or constituency_id in row["constituencies"]


def _dashboard(conn: Connection, caller: Principal, lang: str) -> Dashboard:
    cid, org = _cid(caller), _org(caller)
    own = [row for row in rounds.list_rounds(conn, include_drafts=False) if _takes_part(row, cid)]
    # What asks something now or soon first; decided and cancelled rounds after.
    finished = (Phase.DECIDED, Phase.CANCELLED)
    own.sort(key=lambda row: (row["phase"] in finished, row["voting_close_at"]))
    titles = {row["id"]: row["title"] for row in own}
    title_langs: dict[str, str] = {}
    items = [_round_item(conn, row, caller) for row in own]
    found = []
    for c in campaigns.list_campaigns(conn):
        shown, text = i18n.pick(c["texts"], lang)
        titles[c["id"]], title_langs[c["id"]] = text["title"], shown
        if c["phase"] in (CampaignPhase.PUBLISHED, CampaignPhase.OPEN) and _may_sign(c, cid):
            found.append(
                CampaignItem(
                    c, text["title"], shown, signatures.of_organisation(conn, c["id"], org)
                )
            )
    found.sort(key=lambda c: c.row["closes_at"])
    return Dashboard(
        registry.get_constituency(conn, cid),
        items,
        found,
        member_receipts.ballots_of(conn, org, cid, [row["id"] for row in own]),
        member_receipts.signatures_of(conn, org),
        titles,
        title_langs,
        ratification.put_to(conn, cid),
    )


@router.get("/member", response_class=HTMLResponse)
async def dashboard(request: Request, who: ReaderDep) -> Response:
    caller = _member(who)
    view = await read(web_of(request), lambda conn: _dashboard(conn, caller, who.lang))
    return render(
        request,
        who,
        "member/dashboard.html",
        view=view,
        phases=words.ROUND_PHASES,
        campaign_phases=words.CAMPAIGN_PHASES,
        methods=words.METHODS,
        states=words.SIGNATURE_STATES,
        entry_types=ENTRY_TYPES,
    )


# What each of a signature's log entries records, in words.
ENTRY_TYPES = {
    "signature.submitted": N_("signed"),
    "signature.confirmed": N_("confirmed"),
    "signature.withdrawn": N_("withdrawn"),
    "signature.lapsed": N_("lapsed"),
}


# -- a round, as the member acts in it


@dataclass(frozen=True)
class Nominee:
    row: dict[str, Any]  # as the member may read it (profiles.Viewer.shown)
    organisation: str
    endorsements: int
    endorsed: bool  # by the member's organisation
    ours: bool  # nominated by the member's organisation
    statement_lang: str
    statement: str | None

    @property
    def endorsable(self) -> bool:
        row = self.row
        return not (
            self.endorsed
            or row["rejected_at"] is not None
            or row["consent"] in ("declined", "withdrawn")
            or row.get("withdrawn_at") is not None
            or row["profile"] == profiles.ERASED
        )


@dataclass(frozen=True)
class RoundView:
    round: RowMapping
    constituency: RowMapping
    rules: r.SelectionRules
    organisation_id: str
    nominate_by: datetime
    nominees: list[Nominee]
    voted: BallotReceipt | None


def _round_view(conn: Connection, round_id: str, caller: Principal, lang: str) -> RoundView:
    row = _own_round(conn, round_id, caller)
    cid, org = _cid(caller), _org(caller)
    viewer = profiles.viewer(conn, caller, cid)
    found = []
    for n in nominations.list_for(conn, round_id, cid):
        endorsers = {e["id"] for e in nominations.endorsers(conn, n["id"])}
        shown = viewer.shown(n)
        statement_lang, statement = (
            i18n.pick(shown["statement"], lang) if shown["statement"] else ("", None)
        )
        found.append(
            Nominee(
                shown,
                registry.get_organisation(conn, n["organisation_id"])["name"],
                len(endorsers),
                org in endorsers,
                n["nominated_by"] in viewer.nominated_with,
                statement_lang,
                statement,
            )
        )
    return RoundView(
        row,
        registry.get_constituency(conn, cid),
        rules_store.rules_for(conn, round_id, cid),
        org,
        _nominate_by(row),
        found,
        member_receipts.last_ballot(conn, round_id, cid, org),
    )


@router.get("/member/rounds/{round_id}", response_class=HTMLResponse)
async def round_page(round_id: str, request: Request, who: ReaderDep) -> Response:
    caller = _member(who)
    view = await read(web_of(request), lambda conn: _round_view(conn, round_id, caller, who.lang))
    return render(
        request,
        who,
        "member/round.html",
        view=view,
        phase=view.round["phase"],
        phases=words.ROUND_PHASES,
        ballots=r.ballot_shape(view.rules.method) != r.NO_BALLOT,
        methods=words.METHODS,
        codes=REJECTION_CODES,
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.post("/member/nominations/{nomination_id}/endorsement", response_class=HTMLResponse)
async def endorse(nomination_id: str, request: Request, who: ReaderDep, data: FormDep) -> Response:
    caller = _member(who)
    org = _org(caller)

    def work(conn: Connection) -> RowMapping:
        row = nominations.get(conn, nomination_id)
        if row["constituency_id"] != caller.constituency_id:
            raise Forbidden("members endorse only in their own constituency")
        return nominations.endorse(conn, nomination_id, org, caller.credential_id)

    try:
        row = await write(request, who, work)
    except AlreadyExists:  # endorsed meanwhile, from another page
        row = await read(web_of(request), lambda conn: nominations.get(conn, nomination_id))
    return redirect(request, f"/member/rounds/{row['round_id']}?done=endorsed#n-{nomination_id}")


@router.post("/member/nominations/{nomination_id}/withdrawal", response_class=HTMLResponse)
async def withdraw(nomination_id: str, request: Request, who: ReaderDep, data: FormDep) -> Response:
    """The organisation that made the nomination withdraws it, until nominations close."""
    caller = _member(who)
    org = _org(caller)

    def work(conn: Connection) -> RowMapping:
        _own_nomination(conn, nomination_id, caller)
        return withdrawals.nomination_by_nominator(conn, nomination_id, org, caller.credential_id)

    row = await write(request, who, work)
    return redirect(request, f"/member/rounds/{row['round_id']}?done=withdrawn#n-{nomination_id}")


@router.post(
    "/member/nominations/{nomination_id}/endorsement-withdrawal", response_class=HTMLResponse
)
async def unendorse(
    nomination_id: str, request: Request, who: ReaderDep, data: FormDep
) -> Response:
    """The member's organisation withdraws its endorsement, until nominations close."""
    caller = _member(who)
    org = _org(caller)

    def work(conn: Connection) -> RowMapping:
        _own_nomination(conn, nomination_id, caller)
        return withdrawals.endorsement_by_endorser(conn, nomination_id, org, caller.credential_id)

    row = await write(request, who, work)
    return redirect(request, f"/member/rounds/{row['round_id']}?done=unendorsed#n-{nomination_id}")


def _own_nomination(conn: Connection, nomination_id: str, caller: Principal) -> None:
    """A member acts only on nominations of its own constituency."""
    if nominations.get(conn, nomination_id)["constituency_id"] != caller.constituency_id:
        raise Forbidden("members act only in their own constituency")


# -- nominating


@dataclass(frozen=True)
class NominationView:
    round: RowMapping
    constituency: RowMapping
    rules: r.SelectionRules
    members: list[RowMapping]
    nominate_by: datetime


def _nomination_view(conn: Connection, round_id: str, caller: Principal) -> NominationView:
    row = _own_round(conn, round_id, caller)
    cid = _cid(caller)
    return NominationView(
        row,
        registry.get_constituency(conn, cid),
        rules_store.rules_for(conn, round_id, cid),
        registry.list_members(conn, cid),
        _nominate_by(row),
    )


def asked_attributes(rules: r.SelectionRules) -> dict[str, list[str]]:
    """The attributes a nomination gives that the balance rules count, each with the values
    they name (empty: every value counts): what the nominate form asks for. Region, country
    and the organisation's type and flags come from the nominee's organisation."""
    found: dict[str, list[str]] = {}
    for c in rules.constraints:
        if c.attribute in DERIVED:
            continue
        values = found.setdefault(c.attribute, [])
        if c.value is not None and c.value not in values:
            values.append(c.value)
    return found


def _attribute_field(name: str) -> str:
    return f"attr-{name}"


async def _nominate_page(
    request: Request, who: Reader, round_id: str, form: Form, status: int = 200
) -> Response:
    caller = _member(who)
    view = await read(web_of(request), lambda conn: _nomination_view(conn, round_id, caller))
    return render(
        request,
        who,
        "member/nominate.html",
        status,
        view=view,
        form=form,
        open=view.round["phase"] == Phase.NOMINATIONS_OPEN and who.now < view.nominate_by,
        attributes=asked_attributes(view.rules),
        attribute_names=words.ATTRIBUTES,
        field_of=_attribute_field,
        statement_languages=i18n.LANGUAGES,
        native=i18n.NATIVE_NAMES,
    )


@router.get("/member/rounds/{round_id}/nominate", response_class=HTMLResponse)
async def nominate_page(round_id: str, request: Request, who: ReaderDep) -> Response:
    caller = _member(who)
    return await _nominate_page(request, who, round_id, Form({"organisation_id": _org(caller)}))


def _nomination_body(
    data: FormData, attributes: list[str], say: Words, fmt: i18n.Formatter
) -> tuple[Form, dict[str, Any]]:
    """The form, and the body the API's NominationIn reads from it."""
    statements = [f"statement_{lang}" for lang in i18n.LANGUAGES]
    fields = [_attribute_field(a) for a in attributes]
    form = Form.of(data, ["nominee_name", "organisation_id", "nominee_email", *statements, *fields])
    statement = {}
    for lang in i18n.LANGUAGES:
        raw = data.get(f"statement_{lang}", "")
        text = raw.strip() if isinstance(raw, str) else ""
        if len(text) > STATEMENT_MAX:  # the form keeps only so much: say so, never cut it
            form.fail(f"statement_{lang}", say(TOO_LONG, num=fmt.number(STATEMENT_MAX)))
        elif text:
            statement[lang] = text
    given = {}
    for a in attributes:
        value = form.value(_attribute_field(a))
        if len(value) > ATTRIBUTE_MAX:
            form.fail(_attribute_field(a), say(TOO_LONG, num=fmt.number(ATTRIBUTE_MAX)))
        elif value:
            given[a] = value
    body = {
        "nominee_name": form.value("nominee_name"),
        "organisation_id": form.value("organisation_id"),
        "attributes": given,
        "statement": statement,
        "nominee_email": form.value("nominee_email") or None,
    }
    return form, body


def _nomination_field(loc: tuple[str, ...]) -> str:
    first = loc[0] if loc else "nominee_name"
    if first == "statement":
        return f"statement_{loc[1]}" if len(loc) > 1 and loc[1] in i18n.LANGUAGES else "statement"
    if first == "attributes" and len(loc) > 1:
        return _attribute_field(loc[1])
    return first if first in NOMINATION_FIELDS else "nominee_name"


@dataclass(frozen=True)
class Nominated:
    nomination: RowMapping
    consent_token: str


@router.post("/member/rounds/{round_id}/nominate", response_class=HTMLResponse)
async def nominate(round_id: str, request: Request, who: ReaderDep, data: FormDep) -> Response:
    caller = _member(who)
    web = web_of(request)
    say = Words.of(web, who)
    view = await read(web, lambda conn: _nomination_view(conn, round_id, caller))
    form, body = _nomination_body(data, list(asked_attributes(view.rules)), say, who.formatter(web))
    if body["organisation_id"] and body["organisation_id"] not in {m["id"] for m in view.members}:
        form.fail("organisation_id", say(NOT_A_MEMBER))
    nomination = validated(s.NominationIn, body, form, _nomination_field, NOMINATION_FIELDS, say)
    if nomination is None or form.errors:
        return await _nominate_page(request, who, round_id, form, 422)
    cid = _cid(caller)
    values = nomination.model_dump()

    def work(conn: Connection) -> Nominated:
        _own_round(conn, round_id, caller)
        done = nominations.nominate(conn, round_id, cid, values, caller.credential_id)
        return Nominated(done.nomination, done.consent_token)

    try:
        done = await write(request, who, work)
    except AlreadyExists:  # one nominee per organisation
        form.fail("organisation_id", say(ONE_NOMINEE))
        return await _nominate_page(request, who, round_id, form, 409)
    link = f"{web.svc.settings.api_url}/consent/{done.nomination['id']}?token={done.consent_token}"
    # Shown this once, as the API answers it once: only the token's hash is kept.
    return render(
        request,
        who,
        "member/nominated.html",
        view=view,
        nomination=done.nomination,
        link=link,
    )


# -- voting


@dataclass(frozen=True)
class Candidate:
    id: str
    name: str | None  # None: not public (erased, or standing without consent)
    organisation: str
    statement: str | None
    statement_lang: str
    erased: bool


@dataclass(frozen=True)
class BallotView:
    round: RowMapping
    constituency: RowMapping
    rules: r.SelectionRules
    shape: str
    candidates: list[Candidate]
    voted: BallotReceipt | None


def _ballot_view(conn: Connection, round_id: str, caller: Principal, lang: str) -> BallotView:
    row = _own_round(conn, round_id, caller)
    cid = _cid(caller)
    rules = rules_store.rules_for(conn, round_id, cid)
    found = []
    for n in nominations.list_for(conn, round_id, cid):
        if not n["standing"]:
            continue
        shown = profiles.PUBLIC_VIEWER.shown(n)
        statement_lang, statement = (
            i18n.pick(shown["statement"], lang) if shown["statement"] else ("", None)
        )
        found.append(
            Candidate(
                n["id"],
                shown["nominee_name"],
                registry.get_organisation(conn, n["organisation_id"])["name"],
                statement,
                statement_lang,
                shown["profile"] == profiles.ERASED,
            )
        )
    found.sort(key=lambda c: ((c.name or "").casefold(), c.id))
    return BallotView(
        row,
        registry.get_constituency(conn, cid),
        rules,
        r.ballot_shape(rules.method),
        found,
        member_receipts.last_ballot(conn, round_id, cid, _org(caller)),
    )


def _ranks(view: BallotView) -> int:
    """How many choices a ranked ballot offers: every candidate, or the rules' most."""
    most = view.rules.max_ranks or len(view.candidates)
    return min(most, len(view.candidates))


async def _ballot_page(
    request: Request, who: Reader, round_id: str, form: Form, status: int = 200
) -> Response:
    caller = _member(who)
    view = await read(web_of(request), lambda conn: _ballot_view(conn, round_id, caller, who.lang))
    return render(
        request,
        who,
        "member/ballot.html",
        status,
        view=view,
        form=form,
        open=view.round["phase"] == Phase.VOTING_OPEN and view.shape != r.NO_BALLOT,
        ranks=_ranks(view),
        phases=words.ROUND_PHASES,
        methods=words.METHODS,
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("/member/rounds/{round_id}/ballot", response_class=HTMLResponse)
async def ballot_page(round_id: str, request: Request, who: ReaderDep) -> Response:
    return await _ballot_page(request, who, round_id, Form())


def _rank_field(i: int) -> str:
    return f"rank-{i}"


def _ranking(data: FormData, ranks: int, form: Form, say: Words) -> list[str]:
    """The choices in order; an error beside each repeated choice and each gap."""
    chosen = [str(data.get(_rank_field(i), "")).strip()[:36] for i in range(1, ranks + 1)]
    for i, value in enumerate(chosen, start=1):
        form.values[_rank_field(i)] = value
    first: dict[str, int] = {}
    for i, value in enumerate(chosen, start=1):
        if not value:
            if any(chosen[i:]):
                form.fail(_rank_field(i), say(RANK_GAP))
            continue
        if value in first:
            form.fail(_rank_field(i), say(RANK_REPEATED, num=first[value]))
        else:
            first[value] = i
    if not any(chosen):
        form.fail(_rank_field(1), say(RANK_EMPTY))
    return [v for v in chosen if v]


@router.post("/member/rounds/{round_id}/ballot", response_class=HTMLResponse)
async def vote(round_id: str, request: Request, who: ReaderDep, data: FormDep) -> Response:
    caller = _member(who)
    web = web_of(request)
    say = Words.of(web, who)
    view = await read(web, lambda conn: _ballot_view(conn, round_id, caller, who.lang))
    form = Form()
    if view.shape == r.RANKING:
        ranking = _ranking(data, _ranks(view), form, say)
        body: dict[str, Any] = {"ranking": ranking}
        where = _rank_field(1)
    else:
        approvals = [str(v)[:36] for v in data.getlist("approve")]
        form.values.update({f"approve-{v}": "yes" for v in approvals})
        most = view.rules.max_approvals
        if most is not None and len(approvals) > most:
            too_many = say.ngettext(
                "Choose at most %(num)s candidate", "Choose at most %(num)s candidates", most
            )
            form.fail(APPROVALS, too_many)
        body = {"approvals": approvals}
        where = APPROVALS
    ballot = validated(s.BallotIn, body, form, lambda loc: where, {where: BALLOT_REFUSED}, say)
    if ballot is None or form.errors:
        return await _ballot_page(request, who, round_id, form, 422)
    cid, org = _cid(caller), _org(caller)

    def work(conn: Connection) -> None:
        _own_round(conn, round_id, caller)
        cast(
            conn,
            round_id,
            cid,
            org,
            ballot.approvals,
            caller.credential_id,
            ranking=ballot.ranking,
        )

    try:
        await write(request, who, work)
    except InvalidBallot:  # the policies' own checks (policies/ballots.py)
        form.fail(where, say(BALLOT_REFUSED))
        return await _ballot_page(request, who, round_id, form, 422)
    return redirect(request, f"/member/rounds/{round_id}/ballot?done=cast#receipt")
