"""A coordinator's pages: their constituency's members (admit, invite by e-mail, remove), its
rules in each round (checked as they are saved), and the screening of its nominations.

Each page names the constituency in its path and checks, as the API does, that the session is
one of its coordinators (policies.access). The writes are the API's: the same store functions,
the same helpers (api/routes/registry.py), the API's request models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection, RowMapping
from starlette.datastructures import FormData

from api import schemas as s
from api.routes.registry import remove
from policies import rules as r
from policies.access import Principal, Role, require_coordinator_of
from policies.beacon import QUICKNET
from policies.errors import AlreadyExists, Forbidden, NotFound
from policies.phases import Phase
from policies.rules import InvalidRules
from store import campaigns, nominations, registry, rounds
from store import rules as rules_store
from store.rules import seats_of
from web import i18n, invitations, words
from web.actions import write
from web.deps import FormDep, ReaderDep, read, signed_in
from web.errors import N_
from web.forms import Form
from web.pages import PageRoute, Reader, redirect, render, web_of
from web.rule_refusals import CONSTRAINTS, explain
from web.validation import Words, number, validated

router = APIRouter(route_class=PageRoute, include_in_schema=False)
BASE = "/coordinator/{constituency_id}"

DONE = {
    "admitted": N_("The organisation is now a member."),
    "admitted-invited": N_("The organisation is now a member, and a sign-in link is on its way."),
    "invited": N_("A sign-in link is on its way to the organisation's registered address."),
    "not-invited": N_(
        "No invitation was sent: this organisation cannot sign in here with its address."
    ),
    "removed": N_("The organisation is no longer a member. Its tokens no longer work."),
    "rules": N_("The rules are saved. They are frozen when the round is published."),
    "rejected": N_("The nomination is rejected. The reason is published."),
}

# Why a coordinator may reject a nomination (the code is published with the reason).
REJECTION_CODES = {
    "not_eligible": N_("Not eligible under the published rules"),
    "incomplete": N_("Incomplete nomination"),
    "duplicate": N_("Duplicate nomination"),
    "withdrawn": N_("Withdrawn by the nominating organisation"),
    "other": N_("Another reason"),
}

# Each method's short name, for the rules form (words.METHODS explains it).
METHOD_NAMES = {
    r.APPROVAL_PHRAGMEN: N_("Approval vote, sequential Phragmén"),
    r.APPROVAL_EQUAL_SHARES: N_("Approval vote, Method of Equal Shares"),
    r.APPROVAL_PAV: N_("Approval vote, Proportional Approval Voting"),
    r.RANKED_STV: N_("Ranked vote, single transferable vote"),
    r.LOTTERY_UNIFORM: N_("Lottery among eligible nominees"),
    r.LOTTERY_MAXIMIN: N_("Lottery with the most equal chances (maximin)"),
    r.DESIGNATION: N_("Designation by the coordinators"),
}
# Attributes a balance rule can look at: what nominees say of themselves, and what their
# organisation's registration gives (store/nominations.py, DERIVED).
KNOWN_ATTRIBUTES = (
    "gender",
    "region",
    "country",
    "organisation_type",
    "migrant_led",
    "grassroots",
)
CONSTRAINT_ROWS_EXTRA = 2  # blank rows beside the saved ones: no script adds rows
MIN_CONSTRAINT_ROWS = 3

ADMIT_ERROR = N_("Choose an organisation to admit")
ALREADY_MEMBER = N_("This organisation is already a member")
RULES_FIELDS = {
    "method": N_("Choose how the representatives are chosen"),
    "alternates": N_("Enter how many alternates, from 0 to 50"),
    "max_approvals": N_("Enter a number from 1 to 1000, or leave it empty"),
    "max_ranks": N_("Enter a number from 1 to 1000, or leave it empty"),
    "quorum": N_("Enter how many coordinators must approve, from 1 to 100"),
    "endorsements_required": N_("Enter a number from 0 to 100"),
    "endorsements_regions": N_("Enter a number from 0 to 100"),
    "time_limit": N_("Enter a number from 1 to 600"),
    "panels": N_("Enter a number from 1 to 100000"),
    "ballot_secrecy": N_("Choose whether the published ballots name their voters"),
    CONSTRAINTS: N_("Check the balance rules: each needs an attribute, and numbers from 0 to 100"),
}
REJECTION_FIELDS = {
    "reason_code": N_("Choose why the nomination is rejected"),
    "reason": N_("Write the reason that will be published, up to 2000 characters"),
}


def _coordinator(who: Reader, constituency_id: str) -> Principal:
    caller = signed_in(who)
    require_coordinator_of(caller, constituency_id)
    return caller


@router.get("/coordinator", response_class=HTMLResponse)
async def own_constituency(request: Request, who: ReaderDep) -> Response:
    caller = signed_in(who)
    if caller.role is not Role.COORDINATOR or caller.constituency_id is None:
        raise Forbidden(f"this needs a coordinator; the session is a {caller.role.value}'s")
    return redirect(request, f"/coordinator/{caller.constituency_id}")


# -- the constituency: members


@dataclass(frozen=True)
class Dashboard:
    constituency: RowMapping
    members: list[RowMapping]
    candidates: list[RowMapping]  # registered organisations that are not members
    coordinators: list[RowMapping]
    rounds: list[RowMapping]  # those it takes part in, drafts too
    campaigns: list[RowMapping]  # those it owns


def _dashboard(conn: Connection, constituency_id: str) -> Dashboard:
    constituency = registry.get_constituency(conn, constituency_id)
    members = registry.list_members(conn, constituency_id)
    ids = {m["id"] for m in members}
    return Dashboard(
        constituency,
        members,
        [o for o in registry.list_organisations(conn) if o["id"] not in ids],
        registry.list_coordinators(conn, constituency_id),
        [
            row
            for row in rounds.list_rounds(conn, include_drafts=True)
            if any(p["constituency_id"] == constituency_id for p in row["participants"])
        ],
        [
            c
            for c in campaigns.list_campaigns(conn)
            if c["owner_constituency_id"] == constituency_id
        ],
    )


async def _dashboard_page(
    request: Request, who: Reader, constituency_id: str, form: Form | None = None, status: int = 200
) -> Response:
    web = web_of(request)
    found = await read(web, lambda conn: _dashboard(conn, constituency_id))
    fmt = who.formatter(web)
    return render(
        request,
        who,
        "manage/coordinator.html",
        status,
        view=found,
        candidates=[
            (o["id"], f"{o['name']} ({fmt.country(o['country'])})") for o in found.candidates
        ],
        form=form or Form({"invite": "yes", "mail_lang": who.lang}),
        done=DONE.get(request.query_params.get("done", "")),
        phases=words.ROUND_PHASES,
        campaign_phases=words.CAMPAIGN_PHASES,
        pick=i18n.pick,
    )


@router.get(BASE, response_class=HTMLResponse)
async def dashboard(constituency_id: str, request: Request, who: ReaderDep) -> Response:
    _coordinator(who, constituency_id)
    return await _dashboard_page(request, who, constituency_id)


def _invite(
    conn: Connection,
    request: Request,
    who: Reader,
    constituency_id: str,
    org: RowMapping,
    lang: str,
) -> bool:
    """Mail the member organisation's registered contact a sign-in link."""
    constituency = registry.get_constituency(conn, constituency_id)
    return invitations.send(
        conn,
        web_of(request),
        email=org["contact_email"],
        lang=lang if lang in i18n.LANGUAGES else who.lang,
        inviter=who.identity or constituency["name"],
        constituency=constituency["name"],
    )


@router.post(BASE + "/members", response_class=HTMLResponse)
async def admit(constituency_id: str, request: Request, who: ReaderDep, data: FormDep) -> Response:
    caller = _coordinator(who, constituency_id)
    say = Words.of(web_of(request), who)
    form = Form.of(data, ["organisation_id", "invite", "mail_lang"])
    body = validated(
        s.MemberIn,
        {"organisation_id": form.value("organisation_id")},
        form,
        lambda loc: "organisation_id",
        {"organisation_id": ADMIT_ERROR},
        say,
    )
    if body is None:
        return await _dashboard_page(request, who, constituency_id, form, 422)

    def work(conn: Connection) -> bool:
        org = registry.get_organisation(conn, body.organisation_id)
        registry.admit_member(conn, constituency_id, body.organisation_id, caller.credential_id)
        if form.value("invite"):
            return _invite(conn, request, who, constituency_id, org, form.value("mail_lang"))
        return False

    try:
        invited = await write(request, who, work)
    except NotFound:
        form.fail("organisation_id", say(ADMIT_ERROR))
        return await _dashboard_page(request, who, constituency_id, form, 422)
    except AlreadyExists:
        form.fail("organisation_id", say(ALREADY_MEMBER))
        return await _dashboard_page(request, who, constituency_id, form, 409)
    done = "admitted-invited" if invited else "admitted"
    return redirect(request, f"/coordinator/{constituency_id}?done={done}#members")


@router.post(BASE + "/members/{organisation_id}/invitation", response_class=HTMLResponse)
async def invite(
    constituency_id: str, organisation_id: str, request: Request, who: ReaderDep, data: FormDep
) -> Response:
    _coordinator(who, constituency_id)
    lang = str(data.get("mail_lang", who.lang))

    def work(conn: Connection) -> bool:
        registry.require_member(conn, constituency_id, organisation_id)
        org = registry.get_organisation(conn, organisation_id)
        return _invite(conn, request, who, constituency_id, org, lang)

    sent = await write(request, who, work)
    done = "invited" if sent else "not-invited"
    return redirect(request, f"/coordinator/{constituency_id}?done={done}#members")


@router.get(BASE + "/members/{organisation_id}/removal", response_class=HTMLResponse)
async def removal_page(
    constituency_id: str, organisation_id: str, request: Request, who: ReaderDep
) -> Response:
    """Removing a member is asked for again on a page of its own: no script confirms it."""
    _coordinator(who, constituency_id)

    def load(conn: Connection) -> tuple[RowMapping, RowMapping]:
        registry.require_member(conn, constituency_id, organisation_id)
        return (
            registry.get_constituency(conn, constituency_id),
            registry.get_organisation(conn, organisation_id),
        )

    constituency, org = await read(web_of(request), load)
    return render(request, who, "manage/removal.html", constituency=constituency, organisation=org)


@router.post(BASE + "/members/{organisation_id}/removal", response_class=HTMLResponse)
async def remove_member(
    constituency_id: str, organisation_id: str, request: Request, who: ReaderDep, data: FormDep
) -> Response:
    caller = _coordinator(who, constituency_id)
    await write(
        request,
        who,
        lambda conn: remove(conn, constituency_id, organisation_id, caller.credential_id),
    )
    return redirect(request, f"/coordinator/{constituency_id}?done=removed#members")


# -- a round's rules


@dataclass(frozen=True)
class RulesView:
    round: RowMapping
    constituency: RowMapping
    seats: int
    saved: RowMapping | None  # the rules saved so far, if any


def _rules_view(conn: Connection, round_id: str, constituency_id: str) -> RulesView:
    row = rounds.get(conn, round_id)
    seats = seats_of(row, constituency_id)
    try:
        saved: RowMapping | None = rules_store.get(conn, round_id, constituency_id)
    except NotFound:
        saved = None
    return RulesView(row, registry.get_constituency(conn, constituency_id), seats, saved)


def _rules_form(saved: RowMapping | None) -> Form:
    """The form as the saved rules fill it (the API's defaults without them)."""
    rules = r.SelectionRules.from_json({**(saved["rules"] if saved else {}), "seats": 1})
    values = {
        "method": rules.method,
        "alternates": str(rules.alternates),
        "max_approvals": "" if rules.max_approvals is None else str(rules.max_approvals),
        "max_ranks": "" if rules.max_ranks is None else str(rules.max_ranks),
        "quorum": "" if rules.quorum is None else str(rules.quorum),
        "endorsements_required": str(rules.endorsements.required),
        "endorsements_regions": str(rules.endorsements.distinct_regions),
        "one_nominee": "yes" if rules.one_nominee_per_organisation else "",
        "commit_reveal": "yes" if rules.commit_reveal else "",
        "beacon": "yes" if rules.beacon else "",
        "ballot_secrecy": rules.ballot_secrecy,
        "time_limit": str(rules.time_limit),
        "panels": str(rules.panels),
    }
    for i, c in enumerate(rules.constraints, start=1):
        values |= {
            f"c{i}_attribute": c.attribute,
            f"c{i}_value": c.value or "",
            f"c{i}_min": str(c.min) if c.min else "",
            f"c{i}_max": "" if c.max is None else str(c.max),
        }
    return Form(values)


def _rows(form: Form) -> int:
    """How many balance-rule rows the form shows: those filled, and blank ones to add."""
    filled = [
        i
        for i in range(1, 51)
        if any(form.value(f"c{i}_{part}") for part in ("attribute", "value", "min", "max"))
    ]
    return max(MIN_CONSTRAINT_ROWS, (max(filled) if filled else 0) + CONSTRAINT_ROWS_EXTRA)


async def _rules_page(
    request: Request,
    who: Reader,
    round_id: str,
    constituency_id: str,
    form: Form | None = None,
    status: int = 200,
    english: frozenset[str] = frozenset(),
) -> Response:
    view = await read(web_of(request), lambda conn: _rules_view(conn, round_id, constituency_id))
    form = form or _rules_form(view.saved)
    return render(
        request,
        who,
        "manage/rules.html",
        status,
        view=view,
        form=form,
        rows=_rows(form),
        editable=view.round["phase"] == Phase.DRAFT,
        methods=METHOD_NAMES,
        explained=words.METHODS,
        attributes=KNOWN_ATTRIBUTES,
        attribute_names=words.ATTRIBUTES,
        english_errors=english,
        done=DONE.get(request.query_params.get("done", "")),
        phases=words.ROUND_PHASES,
    )


@router.get(BASE + "/rounds/{round_id}/rules", response_class=HTMLResponse)
async def rules_page(
    constituency_id: str, round_id: str, request: Request, who: ReaderDep
) -> Response:
    _coordinator(who, constituency_id)
    return await _rules_page(request, who, round_id, constituency_id)


def _rules_body(data: FormData, say: Words) -> tuple[Form, dict[str, Any]]:
    """The form, and the body the API's RulesIn reads from it."""
    names = [
        "method",
        "alternates",
        "max_approvals",
        "max_ranks",
        "quorum",
        "endorsements_required",
        "endorsements_regions",
        "one_nominee",
        "commit_reveal",
        "beacon",
        "ballot_secrecy",
        "time_limit",
        "panels",
    ]
    rows = [f"c{i}_{part}" for i in range(1, 51) for part in ("attribute", "value", "min", "max")]
    form = Form.of(data, [*names, *rows])
    method = form.value("method")
    body: dict[str, Any] = {
        "method": method,
        "alternates": number(form, "alternates", say) or 0,
        "endorsements": {
            "required": number(form, "endorsements_required", say) or 0,
            "distinct_regions": number(form, "endorsements_regions", say) or 0,
        },
        "one_nominee_per_organisation": bool(form.value("one_nominee")),
        "ballot_secrecy": form.value("ballot_secrecy") or "open",
        "constraints": [],
    }
    # A parameter only goes with its method: a value left in another method's field is ignored.
    shape = r.ballot_shape(method) if method in r.METHODS else None
    for name, wanted in (("max_approvals", r.APPROVAL), ("max_ranks", r.RANKING)):
        most = number(form, name, say)
        if shape == wanted and most is not None:
            body[name] = most
    quorum = number(form, "quorum", say)
    if method == r.DESIGNATION:
        body["quorum"] = quorum
    for name in ("time_limit", "panels"):
        limit = number(form, name, say)
        if limit is not None:
            body[name] = limit
    if form.value("commit_reveal"):
        body["commit_reveal"] = {}
    if form.value("beacon"):
        body["beacon"] = {"chain_hash": QUICKNET.chain_hash, "public_key": QUICKNET.public_key}
    for i in range(1, 51):
        attribute = form.value(f"c{i}_attribute")
        value = form.value(f"c{i}_value")
        low, high = number(form, f"c{i}_min", say), number(form, f"c{i}_max", say)
        if not (attribute or value or low is not None or high is not None):
            continue
        body["constraints"].append(
            {"attribute": attribute, "value": value or None, "min": low or 0, "max": high}
        )
    return form, body


def _rules_field(loc: tuple[str, ...]) -> str:
    first = loc[0] if loc else "method"
    if first == "endorsements":
        return "endorsements_regions" if "distinct_regions" in loc else "endorsements_required"
    if first == "constraints":
        return CONSTRAINTS
    if first in ("commit_reveal", "beacon", "ballot_secrecy"):
        return first
    return first if first in RULES_FIELDS else "method"


@router.post(BASE + "/rounds/{round_id}/rules", response_class=HTMLResponse)
async def save_rules(
    constituency_id: str, round_id: str, request: Request, who: ReaderDep, data: FormDep
) -> Response:
    caller = _coordinator(who, constituency_id)
    say = Words.of(web_of(request), who)
    form, body = _rules_body(data, say)
    rules = validated(s.RulesIn, body, form, _rules_field, RULES_FIELDS, say)
    if rules is None or form.errors:
        return await _rules_page(request, who, round_id, constituency_id, form, 422)
    saved = rules.model_dump()
    try:
        await write(
            request,
            who,
            lambda conn: rules_store.publish_rules(
                conn, round_id, constituency_id, saved, caller.credential_id
            ),
        )
    except InvalidRules as exc:  # and InfeasibleRules: the policies say why
        refusal = explain(exc.detail, say)
        form.fail(refusal.field, refusal.text)
        english = frozenset({refusal.field}) if refusal.english else frozenset()
        return await _rules_page(request, who, round_id, constituency_id, form, 422, english)
    return redirect(request, f"/coordinator/{constituency_id}/rounds/{round_id}/rules?done=rules")


# -- screening nominations


@dataclass(frozen=True)
class Nominee:
    row: RowMapping
    organisation: str
    endorsements: int
    statement_lang: str
    statement: str | None


def _nominations(
    conn: Connection, round_id: str, constituency_id: str, lang: str
) -> tuple[RowMapping, RowMapping, list[Nominee]]:
    row = rounds.get(conn, round_id)
    seats_of(row, constituency_id)
    found = []
    for n in nominations.list_for(conn, round_id, constituency_id):
        shown, text = i18n.pick(n["statement"], lang) if n["statement"] else ("", None)
        found.append(
            Nominee(
                n,
                registry.get_organisation(conn, n["organisation_id"])["name"],
                len(nominations.endorsers(conn, n["id"])),
                shown,
                text,
            )
        )
    return row, registry.get_constituency(conn, constituency_id), found


async def _nominations_page(
    request: Request,
    who: Reader,
    round_id: str,
    constituency_id: str,
    failed: str | None = None,
    form: Form | None = None,
    status: int = 200,
) -> Response:
    row, constituency, found = await read(
        web_of(request), lambda conn: _nominations(conn, round_id, constituency_id, who.lang)
    )
    return render(
        request,
        who,
        "manage/nominations.html",
        status,
        round=row,
        constituency=constituency,
        nominees=found,
        screening=row["phase"] == Phase.NOMINATIONS_OPEN,
        codes=REJECTION_CODES,
        failed=failed,
        form=form or Form(),
        empty=Form(),
        attribute_names=words.ATTRIBUTES,
        types=words.ORGANISATION_TYPES,
        phases=words.ROUND_PHASES,
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get(BASE + "/rounds/{round_id}/nominations", response_class=HTMLResponse)
async def nominations_page(
    constituency_id: str, round_id: str, request: Request, who: ReaderDep
) -> Response:
    _coordinator(who, constituency_id)
    return await _nominations_page(request, who, round_id, constituency_id)


@router.post(BASE + "/nominations/{nomination_id}/rejection", response_class=HTMLResponse)
async def reject(
    constituency_id: str, nomination_id: str, request: Request, who: ReaderDep, data: FormDep
) -> Response:
    caller = _coordinator(who, constituency_id)
    say = Words.of(web_of(request), who)
    row = await read(web_of(request), lambda conn: nominations.get(conn, nomination_id))
    # The nomination is this constituency's (the API's check), or another coordinator's.
    require_coordinator_of(caller, row["constituency_id"])
    form = Form.of(data, ["reason_code", "reason"])
    code = form.value("reason_code")
    body = validated(
        s.RejectionIn,
        {"reason_code": code if code in REJECTION_CODES else "", "reason": form.value("reason")},
        form,
        lambda loc: loc[0] if loc and loc[0] in REJECTION_FIELDS else "reason",
        REJECTION_FIELDS,
        say,
    )
    if body is None:
        return await _nominations_page(
            request, who, row["round_id"], constituency_id, nomination_id, form, 422
        )
    await write(
        request,
        who,
        lambda conn: nominations.reject(
            conn, nomination_id, body.reason_code, body.reason, caller.credential_id
        ),
    )
    return redirect(
        request,
        f"/coordinator/{constituency_id}/rounds/{row['round_id']}/nominations?done=rejected",
    )
