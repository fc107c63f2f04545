"""Request and response bodies of sign-on campaigns, signatures and webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, EmailStr, Field, HttpUrl, model_validator

from api.schemas import Hex64, Id, In, Instant, LanguageTag, Name, Reason, _nfc
from policies.campaigns import MAX_MILESTONE, MAX_MILESTONES, CampaignPhase
from policies.regions import is_country

Title = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_nfc)]
Text = Annotated[str, Field(min_length=1, max_length=100_000), AfterValidator(_nfc)]
OrgType = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]{0,49}$",
        description="e.g. trade_union, ngo, network, community_group, faith_based, academic",
    ),
]


def _country(value: str) -> str:
    if not is_country(value):
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return value


Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$"), AfterValidator(_country)]


class StatementPart(In):
    title: Title
    text: Text


Statement = Annotated[
    dict[LanguageTag, StatementPart],
    Field(min_length=1, max_length=20, description="by language: {'en': {title, text}, ...}"),
]
Milestone = Annotated[int, Field(ge=1, le=MAX_MILESTONE)]


class ContactIn(In):
    name: Name
    email: EmailStr


class CampaignIn(In):
    statement: Statement
    signers: Literal["any", "members"] = Field(
        default="any", description="any organisation, or members of `constituencies` only"
    )
    constituencies: list[Id] = Field(default_factory=list, max_length=200)
    opens_at: Instant
    closes_at: Instant
    milestones: list[Milestone] = Field(default_factory=list, max_length=MAX_MILESTONES)
    contact: ContactIn


class CampaignPatch(In):
    statement: Statement | None = None
    signers: Literal["any", "members"] | None = None
    constituencies: list[Id] | None = Field(default=None, max_length=200)
    opens_at: Instant | None = None
    closes_at: Instant | None = None
    milestones: list[Milestone] | None = Field(default=None, max_length=MAX_MILESTONES)
    contact: ContactIn | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> CampaignPatch:
        if not self.model_dump(exclude_none=True):
            raise ValueError("give at least one field to change")
        return self


class SignatureCounts(BaseModel):
    confirmed: int = Field(description="signatories now: confirmed and not withdrawn")
    pending: int = Field(description="outside organisations that have not confirmed yet")
    withdrawn: int
    lapsed: int


class CampaignOut(BaseModel):
    id: str
    owner_constituency_id: str | None
    statement: dict[str, dict[str, str]] = Field(description="the current text, by language")
    signers: str
    constituencies: list[str]
    opens_at: datetime
    closes_at: datetime
    milestones: list[int]
    phase: CampaignPhase
    version: int | None
    statement_hash: str | None
    published_at: datetime | None
    signatures: SignatureCounts
    milestones_reached: list[int]


class ExtendCloseIn(In):
    closes_at: Instant
    reason: Reason


class CorrectionIn(In):
    statement: Statement
    reason: Reason


class VersionOut(BaseModel):
    campaign_id: str
    version: int
    statement: dict[str, Any] = Field(description="the signed statement document")
    canonical: str = Field(description="the exact RFC 8785 bytes that were hashed and signed")
    statement_hash: str
    envelope: dict[str, Any] = Field(description="DSSE envelope, Ed25519")
    reason: str | None
    published_at: datetime


class CampaignStateOut(BaseModel):
    campaign_id: str
    phase: CampaignPhase
    opens_at: datetime
    closes_at: datetime
    version: int
    statement_hash: str | None = None


class OrganisationSigning(In):
    name: Name
    country: Country
    type: OrgType


class SignerIn(In):
    name: Name
    role: Name


class SignatureIn(In):
    """A member signs with its token and gives only the hash (and, if it likes, who signs);
    an outside organisation gives who it is and an address for the confirmation code."""

    statement_hash: Hex64 = Field(description="the hash of the version the signer read")
    organisation: OrganisationSigning | None = None
    signer: SignerIn | None = None
    email: EmailStr | None = None


class SignatureOut(BaseModel):
    id: str
    campaign_id: str
    kind: str
    state: str = Field(description="pending | confirmed | withdrawn | lapsed")
    organisation: str
    country: str
    type: str
    region: str
    version: int
    created_at: datetime
    confirmed_at: datetime | None
    withdrawn_at: datetime | None


class SignatureSubmitted(BaseModel):
    signature: SignatureOut
    signer_token: str | None = Field(
        default=None,
        description="outside organisations: shown once; needed to withdraw or to ask for a "
        "new code",
    )
    receipt: str = Field(description="leaf hash of the signature's log entry")
    code_sent_to: Literal["given_address", "registered_contact"] | None = Field(
        default=None,
        description="outside organisations: where the code went; under a registered "
        "organisation's name, to the contact address the registry holds for it",
    )


class ConfirmationIn(In):
    code: str = Field(pattern=r"^\d{6}$", description="the six digits mailed to the signer")


class SignerTokenIn(In):
    signer_token: str = Field(min_length=1, max_length=200)


class WithdrawalIn(In):
    signer_token: str | None = Field(
        default=None, min_length=1, max_length=200, description="outside organisations"
    )
    reason: Reason | None = Field(default=None, description="published in the log")


class SignatoriesOut(BaseModel):
    campaign_id: str
    record: dict[str, Any]
    canonical: str = Field(description="the exact RFC 8785 bytes that were signed")
    record_hash: str
    envelope: dict[str, Any]


WebhookEvent = Literal["campaign.milestone", "campaign.closed"]


def _every_event() -> list[WebhookEvent]:
    return ["campaign.milestone", "campaign.closed"]


class WebhookIn(In):
    url: HttpUrl = Field(description="http(s) address that receives a signed POST per event")
    events: list[WebhookEvent] = Field(default_factory=_every_event, min_length=1, max_length=2)


class WebhookOut(BaseModel):
    id: str
    campaign_id: str
    url: str
    events: list[str]
    created_at: datetime
    removed_at: datetime | None


class WebhookRegistered(BaseModel):
    webhook: WebhookOut
    secret: str = Field(
        description="shown once: verify Mandate-Signature (t=..,v1=HMAC-SHA256 of 't.body')"
    )


class MailDelivery(BaseModel):
    id: int
    purpose: str
    to_address: str
    subject: str
    created_at: datetime
    attempts: int
    sent_at: datetime | None
    failed_at: datetime | None
    last_error: str | None


class WebhookAttempt(BaseModel):
    webhook_id: str
    event_id: str
    event_type: str
    attempt: int
    status_code: int | None
    error: str | None
    delivered: bool
    at: datetime


class DeliveriesOut(BaseModel):
    campaign_id: str
    mail: list[MailDelivery]
    webhooks: list[WebhookAttempt]
