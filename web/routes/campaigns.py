"""A campaign's page, signing it (an outside organisation, with the mailed code; a signed-in
member organisation, at once) and a member's withdrawal. The writes are the API's: the same
store functions (store/signatures.py), the same rate limits and mail budgets."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy import Connection, RowMapping
from starlette.datastructures import FormData

from api import campaign_schemas as cs
from api.routes.campaigns import visible
from api.routes.signatures import _mail as mail_terms
from api.routes.signatures import _tell as tell_milestones
from policies.access import Role, require_member
from policies.campaigns import CampaignPhase, Signers
from policies.errors import Forbidden, NotFound, WrongCode
from store import campaigns, signatory_records, signatures
from store.db import RECEIPTS
from web import i18n, words
from web.actions import write
from web.deps import FormDep, ReaderDep, read, signed_in
from web.errors import N_
from web.forms import Form
from web.pages import PageRoute, Reader, redirect, render, root_of, web_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# The outside signer's form: each field, and what its error says.
SIGN_FIELDS: dict[str, str] = {
    "org_name": N_("Enter the name of your organisation"),
    "country": N_("Choose the country of your organisation"),
    "org_type": N_("Choose the type of your organisation"),
    "signer_name": N_("Enter the name of the person who signs"),
    "signer_role": N_("Enter the role of the person who signs, for example Director"),
    "email": N_("Enter an e-mail address in the right format, like name@example.org"),
}
# pydantic's error locations of cs.SignatureIn, by form field.
_FIELD_OF = {
    ("organisation", "name"): "org_name",
    ("organisation", "country"): "country",
    ("organisation", "type"): "org_type",
    ("signer", "name"): "signer_name",
    ("signer", "role"): "signer_role",
    ("email",): "email",
}
CODE_ERROR = N_("Enter the 6-digit code from the e-mail")
KEY_MISSING = N_("Enter the withdrawal key you were given when you signed")
KEY_WRONG = N_("This withdrawal key is not right. Check it and try again.")
SIGNER_KEY = "signer_key"  # the cookie that keeps an outside signer's withdrawal key
KEY_DAYS = 366  # longer than any sign-on window
WRONG_CODE = N_("This code is not right. Check the 6 digits in the e-mail and try again.")
DONE = {
    "signed": N_("Your organisation has signed this statement."),
    "withdrawn": N_("Your organisation's signature has been withdrawn."),
}


@dataclass(frozen=True)
class Version:
    number: int
    statement_hash: str
    published_at: Any
    reason: str | None
    lang: str
    title: str
    text: str


@dataclass(frozen=True)
class CampaignView:
    row: RowMapping
    lang: str  # of the statement shown
    title: str
    text: str
    versions: list[Version]
    counts: dict[str, int]
    record: dict[str, Any] | None  # the signed signatory list, once published
    mine: RowMapping | None  # the signed-in member organisation's signature, if any


def _versions(conn: Connection, campaign_id: str, lang: str) -> list[Version]:
    found = []
    for v in campaigns.versions(conn, campaign_id):
        document = json.loads(v["canonical"])
        shown, text = i18n.pick(document["texts"], lang)
        found.append(
            Version(
                v["version"],
                v["statement_hash"],
                v["published_at"],
                v["reason"],
                shown,
                text["title"],
                text["text"],
            )
        )
    return found


def _view(conn: Connection, campaign_id: str, who: Reader) -> CampaignView:
    row = visible(conn, campaign_id, who.principal)
    shown, text = i18n.pick(row["texts"], who.lang)
    try:
        record = json.loads(signatory_records.get(conn, campaign_id)["record"])
    except NotFound:
        record = None
    mine = None
    if who.principal is not None and who.principal.organisation_id is not None:
        mine = signatures.of_organisation(conn, campaign_id, who.principal.organisation_id)
    return CampaignView(
        row,
        shown,
        text["title"],
        text["text"],
        _versions(conn, campaign_id, who.lang),
        signatures.counts(conn, campaign_id),
        record,
        mine,
    )


def _filtered(record: dict[str, Any] | None, request: Request) -> tuple[list[Any], dict[str, str]]:
    """The signatories that match the reader's filters (region, country, type), by GET."""
    if record is None:
        return [], {}
    chosen = {
        k: v
        for k in ("region", "country", "type")
        if (v := request.query_params.get(k, "")) and len(v) <= 100
    }
    found = [s for s in record["signatories"] if all(s[k] == v for k, v in chosen.items())]
    return found, chosen


async def _page(
    request: Request, who: Reader, campaign_id: str, form: Form | None = None, status: int = 200
) -> Response:
    view = await read(web_of(request), lambda conn: _view(conn, campaign_id, who))
    shown, chosen = _filtered(view.record, request)
    row = view.row
    is_open = row["phase"] == CampaignPhase.OPEN
    return render(
        request,
        who,
        "campaign.html",
        status=status,
        view=view,
        campaign=row,
        phase_name=words.CAMPAIGN_PHASES[row["phase"]],
        deadline_at=row["closes_at"] if is_open else row["opens_at"],
        is_open=is_open,
        outsiders_may_sign=is_open and Signers(row["signers"]) is Signers.ANY,
        member=who.principal is not None and who.principal.role is Role.MEMBER,
        signatories=shown,
        chosen=chosen,
        types=words.ORGANISATION_TYPES,
        types_options=[
            (k, who.gettext(web_of(request), v)) for k, v in words.ORGANISATION_TYPES.items()
        ],
        states=words.SIGNATURE_STATES,
        form=form or Form(),
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
async def campaign_page(campaign_id: str, request: Request, who: ReaderDep) -> Response:
    return await _page(request, who, campaign_id)


def _sign_form(data: FormData) -> tuple[Form, cs.SignatureIn | None]:
    form = Form.of(data, [*SIGN_FIELDS, "statement_hash"])
    body = {
        "statement_hash": form.values["statement_hash"],
        "organisation": {
            "name": form.values["org_name"],
            "country": form.values["country"],
            "type": form.values["org_type"],
        },
        "signer": {"name": form.values["signer_name"], "role": form.values["signer_role"]},
        "email": form.values["email"],
    }
    try:
        return form, cs.SignatureIn.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors():
            field = _FIELD_OF.get(tuple(str(p) for p in error["loc"]), "statement_hash")
            form.fail(field, SIGN_FIELDS.get(field, N_("Reload the page and sign again")))
        return form, None


@router.post("/campaigns/{campaign_id}/signatures", response_class=HTMLResponse)
async def sign(campaign_id: str, request: Request, who: ReaderDep, data: FormDep) -> Response:
    """An outside organisation signs: pending until the code mailed to it comes back."""
    form, body = _sign_form(data)
    if body is None:
        return await _page(request, who, campaign_id, form, status=422)
    assert body.organisation is not None
    assert body.signer is not None
    assert body.email is not None
    organisation, signer, email = (
        body.organisation.model_dump(),
        body.signer.model_dump(),
        body.email,
    )
    mail = mail_terms(web_of(request).svc)

    def work(conn: Connection) -> signatures.Signed:
        return signatures.sign_as_outsider(
            conn, campaign_id, organisation, signer, email, body.statement_hash, mail, lang=who.lang
        )

    done = await write(request, who, work)
    where = "registered" if done.to_registered_contact else "given"
    sid = done.signature["id"]
    response = redirect(request, f"/signatures/{sid}/code?sent={where}")
    if done.signer_token is not None:
        _keep_key(request, response, sid, done.signer_token)
    return response


def _keep_key(request: Request, response: Response, signature_id: str, key: str) -> None:
    """The signer's withdrawal key, kept by this browser for this signature's pages only: with
    it the signer asks for a new code and withdraws. The pages also show it, to keep."""
    response.set_cookie(
        SIGNER_KEY,
        key,
        max_age=KEY_DAYS * 86_400,
        path=f"{root_of(request)}/signatures/{signature_id}",
        httponly=True,
        samesite="strict",
        secure=web_of(request).secure_cookies,
    )


def _key_of(request: Request, data: FormData | None = None) -> str:
    """The withdrawal key this browser kept, or the one pasted in the form."""
    pasted = str(data.get("key", "")).strip() if data is not None else ""
    return pasted or request.cookies.get(SIGNER_KEY, "")


@router.post("/signatures/{signature_id}/new-code", response_class=HTMLResponse)
async def new_code(signature_id: str, request: Request, who: ReaderDep, data: FormDep) -> Response:
    """Another code, to the same address (a limited number of times)."""
    key = _key_of(request, data)
    if not key:
        form = Form()
        form.fail("key", KEY_MISSING)
        return await _code_page(request, who, signature_id, form, status=422)
    mail = mail_terms(web_of(request).svc)
    await write(request, who, lambda conn: signatures.resend_code(conn, signature_id, key, mail))
    return redirect(request, f"/signatures/{signature_id}/code?sent=again")


@router.post("/signatures/{signature_id}/withdrawal", response_class=HTMLResponse)
async def outside_withdraw(
    signature_id: str, request: Request, who: ReaderDep, data: FormDep
) -> Response:
    """An outside organisation withdraws its signature (pending or confirmed) with its key."""
    key = _key_of(request, data)
    reason = str(data.get("reason", "")).strip()[:2000] or None
    if not key:
        form = Form.of(data, ["reason"])
        form.fail("key", KEY_MISSING)
        return await _signature_page(request, who, signature_id, form, status=422)

    def work(conn: Connection) -> RowMapping:
        return signatures.withdraw(
            conn, signature_id, organisation_id=None, signer_token=key, reason=reason, actor=None
        )

    try:
        await write(request, who, work)
    except Forbidden:
        form = Form.of(data, ["reason"])
        form.fail("key", KEY_WRONG)
        return await _signature_page(request, who, signature_id, form, status=403)
    return redirect(request, f"/signatures/{signature_id}?done=withdrawn")


@router.get("/signatures/{signature_id}/code", response_class=HTMLResponse)
async def code_page(signature_id: str, request: Request, who: ReaderDep) -> Response:
    return await _code_page(request, who, signature_id, Form())


async def _code_page(
    request: Request, who: Reader, signature_id: str, form: Form, status: int = 200
) -> Response:
    def load(conn: Connection) -> tuple[RowMapping, RowMapping]:
        sig = signatures.get(conn, signature_id)
        return sig, campaigns.get(conn, sig["campaign_id"])

    sig, row = await read(web_of(request), load)
    shown, text = i18n.pick(row["texts"], who.lang)
    return render(
        request,
        who,
        "code.html",
        status=status,
        signature=sig,
        campaign=row,
        title=text["title"],
        title_lang=shown,
        registered=request.query_params.get("sent") == "registered",
        again=request.query_params.get("sent") == "again",
        states=words.SIGNATURE_STATES,
        form=form,
        key=request.cookies.get(SIGNER_KEY),
    )


@router.post("/signatures/{signature_id}/code", response_class=HTMLResponse)
async def confirm(signature_id: str, request: Request, who: ReaderDep, data: FormDep) -> Response:
    form = Form.of(data, ["code"])
    code = form.values["code"].replace(" ", "")
    try:
        cs.ConfirmationIn(code=code)
    except ValidationError:
        form.fail("code", CODE_ERROR)
        return await _code_page(request, who, signature_id, form, status=422)

    def work(conn: Connection) -> tuple[signatures.Signed, str]:
        done = signatures.confirm(conn, signature_id, code)
        return done, conn.info[RECEIPTS][-1]

    try:
        done, receipt = await write(request, who, work)
    except WrongCode:
        form.fail("code", WRONG_CODE)
        return await _code_page(request, who, signature_id, form, status=422)
    await tell_milestones(web_of(request).svc, done.signature["campaign_id"], done.milestones)
    return redirect(request, f"/signatures/{signature_id}?receipt={receipt}")


@router.get("/signatures/{signature_id}", response_class=HTMLResponse)
async def signature_page(signature_id: str, request: Request, who: ReaderDep) -> Response:
    return await _signature_page(request, who, signature_id, Form())


async def _signature_page(
    request: Request, who: Reader, signature_id: str, form: Form, status: int = 200
) -> Response:
    def load(conn: Connection) -> tuple[RowMapping, RowMapping]:
        sig = signatures.get(conn, signature_id)
        return sig, campaigns.get(conn, sig["campaign_id"])

    sig, row = await read(web_of(request), load)
    shown, text = i18n.pick(row["texts"], who.lang)
    receipt = request.query_params.get("receipt", "")
    return render(
        request,
        who,
        "signature.html",
        signature=sig,
        campaign=row,
        title=text["title"],
        title_lang=shown,
        state=words.SIGNATURE_STATES[sig["state"]],
        receipt=receipt if len(receipt) == 64 and receipt.isalnum() else None,
        status=status,
        form=form,
        key=request.cookies.get(SIGNER_KEY),
        withdrawable=sig["kind"] == "outside"
        and sig["state"] in ("pending", "confirmed")
        and row["phase"] == CampaignPhase.OPEN,
        done=request.query_params.get("done") == "withdrawn",
    )


# -- a signed-in member organisation


@router.post("/campaigns/{campaign_id}/member-signature")
async def member_sign(
    campaign_id: str, request: Request, who: ReaderDep, data: FormDep
) -> Response:
    caller = signed_in(who)
    statement_hash = str(data.get("statement_hash", ""))
    organisation_id = caller.organisation_id or ""

    require_member(caller)

    def work(conn: Connection) -> signatures.Signed:
        return signatures.sign_as_member(
            conn,
            campaign_id,
            organisation_id,
            caller.constituency_id,
            statement_hash,
            None,
            caller.credential_id,
            lang=who.lang,
        )

    done = await write(request, who, work)
    await tell_milestones(web_of(request).svc, campaign_id, done.milestones)
    return redirect(request, f"/campaigns/{campaign_id}?done=signed#sign")


@router.post("/campaigns/{campaign_id}/withdrawal")
async def member_withdraw(
    campaign_id: str, request: Request, who: ReaderDep, data: FormDep
) -> Response:
    caller = signed_in(who)
    require_member(caller)
    reason = str(data.get("reason", "")).strip()[:2000] or None
    organisation_id = caller.organisation_id or ""

    def work(conn: Connection) -> RowMapping:
        mine = signatures.of_organisation(conn, campaign_id, organisation_id)
        if mine is None:
            raise NotFound("your organisation has not signed this campaign")
        return signatures.withdraw(
            conn,
            mine["id"],
            organisation_id=organisation_id,
            signer_token=None,
            reason=reason,
            actor=caller.credential_id,
        )

    await write(request, who, work)
    return redirect(request, f"/campaigns/{campaign_id}?done=withdrawn#sign")
