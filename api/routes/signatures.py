"""Signing a campaign, confirming by code, withdrawing, and a signatory's proof.

Every write here goes straight to the database behind the campaign's gate: no Temporal call
on the way in. A write that reaches a milestone tells the campaign's workflow by a signal,
after it has committed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from limits import parse_many
from sqlalchemy import Connection
from temporalio.service import RPCError

from api import campaign_schemas as cs
from api.deps import (
    Caller,
    MaybeAuthenticatingWriterDep,
    MaybeCaller,
    Services,
    ServicesDep,
    WriterDep,
    read,
)
from api.erasure_schemas import SignatureErasureIn
from api.languages import language
from policies.access import Principal, Role, require_member, require_secretariat
from policies.errors import Forbidden, InvalidInput, Unauthenticated
from policies.messages import N_
from store import campaigns, erasure, signatory_records, signatures
from store.db import RECEIPTS
from store.signatures import Mail
from workflows.sign_on_campaign import SignOnCampaignWorkflow

router = APIRouter(tags=["signatures"])
log = logging.getLogger(__name__)
NOT_THE_SIGNER: dict[int | str, dict[str, Any]] = {
    403: {"description": "forbidden: the token is not this signature's signer's"}
}


def signature_out(row: Mapping[Any, Any]) -> cs.SignatureOut:
    return cs.SignatureOut(
        id=row["id"],
        campaign_id=row["campaign_id"],
        kind=row["kind"],
        state=row["state"],
        organisation=row["organisation_name"],
        country=row["country"],
        type=row["org_type"],
        region=row["region"],
        version=row["version"],
        created_at=row["created_at"],
        confirmed_at=row["confirmed_at"],
        withdrawn_at=row["withdrawn_at"],
    )


def _mail(svc: Services) -> Mail:
    settings = svc.settings
    budgets = settings.rate_limits_enabled
    return Mail(
        settings.api_url,
        timedelta(seconds=settings.confirmation_ttl),
        per_campaign=parse_many(settings.code_mails_per_campaign) if budgets else (),
        per_recipient=parse_many(settings.code_mails_per_recipient) if budgets else (),
        catalogs=svc.catalogs,
    )


async def _tell(svc: Services, campaign_id: str, reached: list[int]) -> None:
    """Signal the workflow that a milestone was reached. Best effort: the workflow looks at
    the milestones again at the close, and every worker asks it to look when it starts."""
    if not reached or svc.temporal is None:
        return
    handle = svc.temporal.get_workflow_handle(campaigns.workflow_id_for(campaign_id))
    try:
        await handle.signal(SignOnCampaignWorkflow.milestone_reached)
    except RPCError as exc:
        log.warning("milestone %s of campaign %s not signalled: %s", reached, campaign_id, exc)


@router.post(
    "/campaigns/{campaign_id}/signatures",
    status_code=201,
    response_model=cs.SignatureSubmitted,
    responses={
        202: {"model": cs.SignatureSubmitted, "description": "pending confirmation"},
        403: {
            "description": "forbidden: a token that is not a member organisation's, or a "
            "signer the campaign does not take"
        },
    },
)
async def sign(
    campaign_id: str,
    body: cs.SignatureIn,
    request: Request,
    svc: ServicesDep,
    writer: MaybeAuthenticatingWriterDep,
) -> JSONResponse:
    """A member organisation signs with its token (201, it counts at once). An organisation
    outside the constituencies gives its name, country and type, who signs, and an e-mail
    address: the signature is pending (202) until the code mailed there is POSTed to
    ``/v1/signatures/{id}/confirmation``. Under the name and country of a registered
    organisation the code goes to that organisation's registered contact instead, and the
    organisation's own token signature supersedes such a pending claim. Each code mail spends
    the campaign's and the recipient's budget: past either, 429 ``mail_budget_spent``."""
    reached: list[int] = []
    if writer.with_token:
        # The token is checked in the signature's own transaction, first (api/deps.py).

        def as_member(conn: Connection, caller: Principal) -> cs.SignatureSubmitted:
            require_member(caller)
            if body.organisation is not None or body.email is not None:
                raise InvalidInput(
                    N_(
                        "a member organisation signs as registered: leave organisation and "
                        "email out"
                    )
                )
            assert caller.organisation_id is not None
            done = signatures.sign_as_member(
                conn,
                campaign_id,
                caller.organisation_id,
                caller.constituency_id,
                body.statement_hash,
                None if body.signer is None else body.signer.model_dump(),
                caller.credential_id,
                lang=language(request),  # the organisation's, now that it is known
            )
            reached.extend(done.milestones)
            return cs.SignatureSubmitted(
                signature=signature_out(done.signature), receipt=conn.info[RECEIPTS][-1]
            )

        response = await writer.run_as(as_member, status=201)
        await _tell(svc, campaign_id, reached)
        return response
    lang = language(request)
    organisation_in, signer_in, email = body.organisation, body.signer, body.email
    if organisation_in is None or signer_in is None or email is None:
        missing = [n for n in ("organisation", "signer", "email") if getattr(body, n) is None]
        raise InvalidInput(
            N_(
                "signing without a member token needs %(missing)s: who the organisation is, who "
                "signs for it, and where the confirmation code goes"
            ),
            missing=", ".join(missing),
        )
    organisation, signer = organisation_in.model_dump(), signer_in.model_dump()
    mail = _mail(svc)

    def as_outsider(conn: Connection) -> cs.SignatureSubmitted:
        done = signatures.sign_as_outsider(
            conn, campaign_id, organisation, signer, email, body.statement_hash, mail, lang=lang
        )
        return cs.SignatureSubmitted(
            signature=signature_out(done.signature),
            signer_token=done.signer_token,
            receipt=conn.info[RECEIPTS][-1],
            code_sent_to="registered_contact" if done.to_registered_contact else "given_address",
        )

    return await writer.run(as_outsider, status=202)


@router.get("/signatures/{signature_id}", response_model=cs.SignatureOut)
async def get_signature(signature_id: str, svc: ServicesDep) -> cs.SignatureOut:
    return await read(svc, lambda c: signature_out(signatures.get(c, signature_id)))


@router.post("/signatures/{signature_id}/confirmation", response_model=cs.SignatureOut)
async def confirm(
    signature_id: str, body: cs.ConfirmationIn, svc: ServicesDep, writer: WriterDep
) -> JSONResponse:
    """The one-time code from the mail, by POST: opening a link never confirms."""

    found: list[Mapping[Any, Any]] = []
    reached: list[int] = []

    def work(conn: Connection) -> cs.SignatureOut:
        done = signatures.confirm(conn, signature_id, body.code)  # a wrong code costs a try
        found.append(done.signature)
        reached.extend(done.milestones)
        return signature_out(done.signature)

    response = await writer.run(work)
    if found:
        await _tell(svc, found[0]["campaign_id"], reached)
    return response


@router.post(
    "/signatures/{signature_id}/code", response_model=cs.SignatureOut, responses=NOT_THE_SIGNER
)
async def resend_code(
    signature_id: str, body: cs.SignerTokenIn, svc: ServicesDep, writer: WriterDep
) -> JSONResponse:
    """A new code for a pending signature (the old one stops working)."""
    mail = _mail(svc)
    return await writer.run(
        lambda conn: signature_out(
            signatures.resend_code(conn, signature_id, body.signer_token, mail)
        )
    )


@router.post(
    "/signatures/{signature_id}/withdrawal",
    response_model=cs.SignatureOut,
    responses=NOT_THE_SIGNER,
)
async def withdraw(
    signature_id: str, body: cs.WithdrawalIn, caller: MaybeCaller, writer: WriterDep
) -> JSONResponse:
    """Until the close: with the member token, or with the signer token for an outside
    organisation. The withdrawal is logged; the signature is kept, marked withdrawn."""
    organisation_id = None
    if caller is not None:
        if caller.role is not Role.MEMBER:
            raise Forbidden(
                N_("a signature is withdrawn by its signer; the token given is a %(role)s's"),
                role=caller.role.value,
            )
        organisation_id = caller.organisation_id
    elif body.signer_token is None:
        raise Unauthenticated(
            N_(
                "withdrawing needs the member token (Authorization: Bearer) or the signature's "
                "signer_token"
            )
        )
    actor = None if caller is None else caller.credential_id
    return await writer.run(
        lambda conn: signature_out(
            signatures.withdraw(
                conn,
                signature_id,
                organisation_id=organisation_id,
                signer_token=None if caller is not None else body.signer_token,
                reason=body.reason,
                actor=actor,
            )
        )
    )


@router.post(
    "/campaigns/{campaign_id}/signatures/{signature_id}/erasure",
    response_model=cs.SignatureOut,
    responses={
        403: {"description": "forbidden: only the secretariat erases a signer's details"},
        409: {"description": "already_erased: the signer's details are gone already"},
    },
)
async def erase_signature(
    campaign_id: str,
    signature_id: str,
    body: SignatureErasureIn,
    caller: Caller,
    writer: WriterDep,
) -> JSONResponse:
    """The secretariat erases the signer's name, role and e-mail address (and the address from
    the delivery log; mail still waiting for it is not sent), and logs ``personal_data.erased``
    {subject: "signature", id, reason} with its reason. The organisation's signature stands:
    it was never personal data, and the signatory list is unchanged."""
    require_secretariat(caller)
    return await writer.run(
        lambda conn: signature_out(
            erasure.signature_by_secretariat(
                conn, campaign_id, signature_id, body.reason, caller.credential_id
            )
        )
    )


@router.get("/signatures/{signature_id}/proof", tags=["verification"])
async def proof(signature_id: str, svc: ServicesDep) -> dict[str, Any]:
    """That this signatory is on the signed list: `mandate verify` checks it offline."""
    return await read(svc, lambda conn: signatory_records.proof(conn, signature_id))
