"""Request and response bodies."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    field_validator,
)

from policies.access import Role
from policies.beacon import QUICKNET
from policies.constraints import MAX_REVEAL_WINDOW, MIN_REVEAL_WINDOW
from policies.count_sheet import PLACES
from policies.phases import Phase
from policies.rules import DEFAULT_REVEAL_WINDOW
from policies.schedule import Deadline


def _text(value: str) -> str:
    """NFC-normalised, and free of control characters other than tab and line breaks."""
    value = unicodedata.normalize("NFC", value)
    bad = sorted({f"U+{ord(ch):04X}" for ch in value if _is_control(ch)})
    if bad:
        raise ValueError(f"must not contain control characters ({', '.join(bad[:5])})")
    return value


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\t\n\r"


def _nfc(value: str) -> str:
    value = _text(value).strip()
    if not value:
        raise ValueError("must not be blank")
    return value


def _plausible_instant(value: datetime) -> datetime:
    # Bounds keep every later conversion (UTC, timers, the database) well inside its range.
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must lie between {EARLIEST.year} and {LATEST.year}")
    return value


EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
Instant = Annotated[AwareDatetime, AfterValidator(_plausible_instant)]
Name = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_nfc)]
Label = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_nfc)]
Reason = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_nfc)]
Id = Annotated[str, Field(min_length=1, max_length=36)]
Language = Literal["en", "fr", "es", "ar"]  # i18n/languages.py


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganisationIn(In):
    name: Name
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code")
    region: Label | None = Field(
        default=None,
        description="a code of the region list (GET /v1/regions), e.g. americas or "
        "sub-saharan-africa; without one, the UN M49 region of the country",
    )
    type: Label = Field(description="e.g. trade_union, ngo, network, grassroots_group")
    migrant_led: bool = False
    grassroots: bool = False
    contact_email: EmailStr
    namesake_of: Id | None = Field(
        default=None,
        description="the secretariat registers a second organisation with the same name and "
        "country (a true namesake) by naming the one registered; needs a reason",
    )
    reason: Reason | None = Field(
        default=None, description="with namesake_of: why this is another organisation (logged)"
    )
    lang: Language | None = Field(
        default=None,
        description="the language Mandate writes to the organisation in (its mail) and answers "
        "its member tokens' errors in; without one, each request's Accept-Language",
    )


class OrganisationOut(BaseModel):
    id: str
    name: str
    country: str
    region: str = Field(description="a code of the region list (GET /v1/regions)")
    type: str
    migrant_led: bool
    grassroots: bool
    contact_email: str | None = Field(description="shown to the secretariat only")
    created_at: datetime
    lang: str | None = Field(default=None, description="its chosen language, if any")


class ConstituencyIn(In):
    name: Name
    description: Annotated[str, Field(max_length=5000), AfterValidator(_text)] = ""


class ConstituencyOut(BaseModel):
    id: str
    name: str
    description: str
    created_at: datetime


class MemberOut(BaseModel):
    organisation_id: str
    name: str
    country: str
    region: str
    type: str
    migrant_led: bool
    grassroots: bool
    admitted_at: datetime


class ConstituencyDetail(ConstituencyOut):
    members: list[MemberOut]
    coordinators: list[CoordinatorOut]


class CoordinatorIn(In):
    name: Name
    email: EmailStr
    organisation_id: Id | None = None


class CoordinatorOut(BaseModel):
    id: str
    constituency_id: str
    name: str
    organisation_id: str | None
    created_at: datetime


class CredentialOut(BaseModel):
    id: str
    role: Role
    constituency_id: str | None
    organisation_id: str | None
    coordinator_id: str | None
    label: str
    created_at: datetime
    revoked_at: datetime | None


class TokenIssued(BaseModel):
    credential: CredentialOut
    token: str = Field(description="shown once; only its hash is stored")


class CoordinatorIssued(TokenIssued):
    coordinator: CoordinatorOut


class MemberIn(In):
    organisation_id: Id


class MembershipOut(BaseModel):
    constituency_id: str
    organisation_id: str
    admitted_at: datetime
    removed_at: datetime | None = None


class MemberTokenIn(In):
    label: Label = "member token"


class Segment(In):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    title: Name


class Participant(In):
    constituency_id: Id
    seats: int = Field(ge=1, le=100)


class ScheduleIn(In):
    nominations_open_at: Instant
    nominations_close_at: Instant
    voting_open_at: Instant
    voting_close_at: Instant


class SchedulePatch(In):
    nominations_open_at: Instant | None = None
    nominations_close_at: Instant | None = None
    voting_open_at: Instant | None = None
    voting_close_at: Instant | None = None


def _unique_participants(value: list[Participant]) -> list[Participant]:
    ids = [p.constituency_id for p in value]
    if len(set(ids)) != len(ids):
        raise ValueError("each constituency may take part once")
    return value


def _unique_segments(value: list[Segment]) -> list[Segment]:
    keys = [s.key for s in value]
    if len(set(keys)) != len(keys):
        raise ValueError("segment keys must be unique")
    return value


Participants = Annotated[
    list[Participant], Field(min_length=1, max_length=200), AfterValidator(_unique_participants)
]
Segments = Annotated[
    list[Segment], Field(min_length=1, max_length=50), AfterValidator(_unique_segments)
]


MAX_NOTICE = 366 * 86_400


class MinimumNoticeIn(In):
    """Seconds; each one left out is the deployment's default (README, Configuration)."""

    nominations: int | None = Field(
        default=None, ge=0, le=MAX_NOTICE, description="from publication to nominations close"
    )
    consent: int | None = Field(
        default=None,
        ge=0,
        le=MAX_NOTICE,
        description="the least time a nominee has to consent: new nominations close this long "
        "before nominations do",
    )
    voting: int | None = Field(
        default=None, ge=0, le=MAX_NOTICE, description="how long voting stays open, at least"
    )
    acceptance: int | None = Field(
        default=None, ge=0, le=MAX_NOTICE, description="the least time to accept a seat"
    )


RATIFICATION_DESCRIPTION = (
    "percent of each constituency's member organisations who must approve its rules before "
    "the round can be published (0 or null: none asked); the criteria record each count"
)
NOTICE_DESCRIPTION = (
    "the round's minimum notice, in seconds: publishing a schedule that gives less is refused "
    "with 422 invalid_schedule; what is left out is the deployment's default (14 days for "
    "nominations, 3 days each for consent, voting and acceptance unless configured); the "
    "criteria publish the minimums in force"
)


class RoundIn(In):
    title: Name
    segments: Segments
    participants: Participants
    schedule: ScheduleIn
    minimum_notice: MinimumNoticeIn | None = Field(default=None, description=NOTICE_DESCRIPTION)
    ratification_threshold: int | None = Field(
        default=None, ge=0, le=100, description=RATIFICATION_DESCRIPTION
    )


class RoundPatch(In):
    title: Name | None = None
    segments: Segments | None = None
    participants: Participants | None = None
    schedule: SchedulePatch | None = None
    minimum_notice: MinimumNoticeIn | None = Field(default=None, description=NOTICE_DESCRIPTION)
    ratification_threshold: int | None = Field(
        default=None, ge=0, le=100, description=RATIFICATION_DESCRIPTION
    )

    @field_validator("schedule")
    @classmethod
    def _not_empty(cls, value: SchedulePatch | None) -> SchedulePatch | None:
        if value is not None and not value.model_dump(exclude_none=True):
            raise ValueError("give at least one schedule field to change")
        return value


class ScheduleOut(BaseModel):
    nominations_open_at: datetime
    nominations_close_at: datetime
    voting_open_at: datetime
    voting_close_at: datetime


class RoundOut(BaseModel):
    id: str
    title: str
    segments: list[dict[str, Any]]
    participants: list[dict[str, Any]]
    phase: Phase
    schedule: ScheduleOut
    criteria_hash: str | None
    criteria_version: int | None
    published_at: datetime | None
    cancel_reason: str | None
    minimum_notice: dict[str, int] | None = Field(
        default=None,
        description="a draft's own minimum notice (seconds); once published, the minimums in force",
    )
    ratification_threshold: int | None = Field(default=None, description=RATIFICATION_DESCRIPTION)


class PhaseOut(BaseModel):
    round_id: str
    phase: Phase
    schedule: ScheduleOut


class CriteriaOut(BaseModel):
    round_id: str
    version: int
    criteria: dict[str, Any]
    canonical: str = Field(description="the exact RFC 8785 bytes that were hashed and signed")
    criteria_hash: str = Field(description="SHA-256 of the canonical bytes, hex")
    envelope: dict[str, Any] = Field(description="DSSE envelope, Ed25519")


class ExtendIn(In):
    deadline: Deadline
    new_at: Instant
    reason: Reason


class CancelIn(In):
    reason: Reason


class LogEntryOut(BaseModel):
    seq: int
    type: str
    statement: str = Field(description="canonical JSON, exactly as signed")
    prev_hash: str = Field(description="the scope's previous chain hash")
    entry_hash: str = Field(description="SHA-256 chain hash over prev_hash and statement")
    envelope: str = Field(description="the DSSE envelope over the statement: the Merkle leaf")
    leaf_hash: str = Field(description="SHA-256(0x00 || envelope), hex: the write's receipt")
    index: int | None = Field(
        description="position in the log's Merkle tree; null until integrated"
    )


class LogOut(BaseModel):
    scope: str
    entries: list[LogEntryOut]
    next_after: int | None


class ListedKeyOut(BaseModel):
    key_id: str = Field(description="SHA-256 of the raw public key, hex")
    public_key: str = Field(description="raw Ed25519 public key, base64")
    purpose: str = Field(description="records | checkpoints")
    valid_from: str
    valid_until: str | None
    status: str = Field(description="active | retired | revoked")


class KeyListOut(BaseModel):
    format: str
    keys: list[ListedKeyOut]
    origin: str = Field(description="the log's name: the checkpoints' first line")
    checkpoint_verifier_keys: list[str] = Field(
        description="the checkpoints keys as signed-note verifier keys (name+hash+key)"
    )


class LogInfoOut(BaseModel):
    origin: str
    size: int
    root_hash: str = Field(description="hex")
    key_id: str
    checkpoint: str = Field(description="the signed checkpoint note")


class IndexedEntryOut(BaseModel):
    index: int
    envelope: str = Field(description="the DSSE envelope, exactly the bytes that were hashed")
    leaf_hash: str = Field(description="SHA-256(0x00 || envelope), hex")


class LogEntriesOut(BaseModel):
    entries: list[IndexedEntryOut]
    next_start: int | None


class InclusionProofOut(BaseModel):
    index: int
    size: int
    leaf_hash: str
    proof: list[str] = Field(description="RFC 6962 inclusion proof, base64 hashes")
    checkpoint: str


class ConsistencyProofOut(BaseModel):
    old_size: int
    new_size: int
    proof: list[str] = Field(description="RFC 6962 consistency proof, base64 hashes")
    checkpoint: str


class Me(BaseModel):
    credential_id: str
    role: Role
    constituency_id: str | None
    organisation_id: str | None
    coordinator_id: str | None


ConstituencyDetail.model_rebuild()


class ConstraintIn(In):
    attribute: Label
    value: Label | None = Field(
        default=None, description="null: the bounds apply to each value (e.g. at most 1 per region)"
    )
    min: int = Field(default=0, ge=0, le=100)
    max: int | None = Field(default=None, ge=0, le=100)


class EndorsementsIn(In):
    required: int = Field(default=0, ge=0, le=100)
    distinct_regions: int = Field(default=0, ge=0, le=100)


Hex64 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class BeaconIn(In):
    """drand quicknet, pinned. The round is not chosen: the count waits for the first round
    published at least a minute after voting closes and the reveal window ends."""

    chain_hash: str = Field(
        pattern=f"^{QUICKNET.chain_hash}$",
        description="drand quicknet's chain hash, the only network supported",
    )
    public_key: str = Field(
        pattern=f"^{QUICKNET.public_key}$",
        description="quicknet's BLS public key (G2, 96 bytes, hex), pinned: every beacon value "
        "is verified against it before it is recorded, and again by `mandate verify`",
    )


class CommitRevealIn(In):
    reveal_window: int = Field(
        default=DEFAULT_REVEAL_WINDOW,
        ge=MIN_REVEAL_WINDOW,
        le=MAX_REVEAL_WINDOW,
        description="seconds after voting closes in which the parties reveal; the count waits",
    )


class RulesIn(In):
    """A constituency's own rules; seats come from the round's frame."""

    alternates: int = Field(default=0, ge=0, le=50)
    method: Literal[
        "approval.phragmen",
        "approval.equal_shares",
        "approval.pav",
        "ranked.stv",
        "lottery.uniform",
        "lottery.maximin",
        "designation",
    ] = "approval.phragmen"
    max_approvals: int | None = Field(
        default=None, ge=1, le=1000, description="approval methods: most approvals per ballot"
    )
    max_ranks: int | None = Field(
        default=None, ge=1, le=1000, description="ranked.stv: most candidates per ranking"
    )
    quorum: int | None = Field(
        default=None, ge=1, le=100, description="designation: coordinators who must approve"
    )
    time_limit: int = Field(
        default=20,
        ge=1,
        le=600,
        description="approval.pav: a fixed amount of work, about half a second of one core "
        "per unit; lottery.maximin: seconds its solver may take",
    )
    panels: int = Field(
        default=1000, ge=1, le=100_000, description="lottery.maximin: equally likely panels"
    )
    beacon: BeaconIn | None = Field(
        default=None,
        description="drand quicknet: the value of a round published after the last reveal "
        "joins the lot seed",
    )
    commit_reveal: CommitRevealIn | None = Field(
        default=None,
        description="the secretariat and the coordinators commit to secrets before "
        "nominations close and reveal them after voting closes; each revealed secret joins "
        "the lot seed",
    )
    endorsements: EndorsementsIn = Field(default_factory=EndorsementsIn)
    one_nominee_per_organisation: bool = True
    constraints: list[ConstraintIn] = Field(default_factory=list, max_length=50)
    ballot_secrecy: Literal["open", "secret"] = Field(
        default="open",
        description="open: after the close, each published ballot names its voter; secret: "
        "the published ballots name no voter and the list of who voted is published apart",
    )
    reminders: (
        list[Annotated[str, Field(pattern=r"^P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$", max_length=20)]]
        | None
    ) = Field(
        default=None,
        max_length=10,
        description="'closing soon' reminders, as ISO 8601 durations before each deadline "
        "(nominations close, voting closes), mailed to the members who have not acted yet; "
        "none given: P2D and PT6H",
    )


class RulesOut(BaseModel):
    round_id: str
    constituency_id: str
    version: int
    rules: dict[str, Any]
    updated_at: datetime


LanguageTag = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})?$")]
StatementText = Annotated[str, Field(min_length=1, max_length=10_000), AfterValidator(_nfc)]


class NominationIn(In):
    nominee_name: Name
    organisation_id: Id
    attributes: dict[Label, Label] = Field(
        default_factory=dict,
        max_length=20,
        description="self-described, e.g. {'gender': 'woman'}; region, country and the "
        "organisation's type and flags are added from the organisation",
    )
    statement: dict[LanguageTag, StatementText] = Field(
        min_length=1, max_length=10, description="by language, e.g. {'en': ..., 'fr': ...}"
    )
    nominee_email: EmailStr | None = Field(
        default=None,
        description="the nominee's contact address: kept in the database only, never logged, "
        "published or shown, and erased once the round is decided and "
        "MANDATE_CONTACT_RETENTION_DAYS have passed",
    )
    nominee_lang: Literal["en", "fr", "es", "ar"] | None = Field(
        default=None,
        description="the language of the consent request mailed to nominee_email; none given: "
        "the nominating organisation's",
    )


class NameOut(BaseModel):
    """Who an id stands for, by public name."""

    kind: Literal["nominee", "organisation", "coordinator"] = Field(
        description="nominee: the id is a nomination (a candidate); organisation: an "
        "organisation (a voter, an endorser, a nominee's organisation); coordinator: a "
        "constituency coordinator (a designation's count)"
    )
    name: str = Field(description="the nominee's, the organisation's or the coordinator's name")
    organisation: str | None = Field(
        description="the name of the nominee's or coordinator's organisation; null for an "
        "organisation"
    )


NAMES_DESCRIPTION = (
    "every id this object mentions (nominations, organisations) with the public name it stands for"
)


PROFILE_DESCRIPTION = (
    "public: the nominee accepted, and anyone reads their name, statement and attributes; "
    "private: not (yet) accepted, and only the secretariat, the constituency's coordinators and "
    "the nominating organisation see them (to anyone else nominee_name is null, statement and "
    "attributes empty); erased: the nominee's personal data were erased"
)


class NominationOut(BaseModel):
    id: str
    round_id: str
    constituency_id: str
    nominee_name: str | None = Field(description="null unless this caller may see the profile")
    organisation_id: str
    attributes: dict[str, str]
    statement: dict[str, str]
    profile: Literal["public", "private", "erased"] = Field(description=PROFILE_DESCRIPTION)
    consent: str = Field(description="pending, accepted, declined or withdrawn (by the nominee)")
    endorsed_by: list[str] = Field(description="endorsements not withdrawn")
    withdrawn_at: datetime | None = Field(
        default=None, description="when the organisation that made it withdrew it"
    )
    rejection_code: str | None
    rejection_text: str | None
    standing: bool | None
    not_standing_reason: str | None
    created_at: datetime
    names: dict[str, NameOut] = Field(description=NAMES_DESCRIPTION)


class NominationSubmitted(BaseModel):
    nomination: NominationOut
    consent_token: str = Field(
        description="one-time token for the nominee: POST it to /v1/nominations/{id}/consent"
    )


class ConsentIn(In):
    token: str = Field(min_length=1, max_length=200)
    decision: Literal["accept", "decline", "withdraw"] = Field(
        description="accept or decline a pending nomination; withdraw an accepted consent "
        "(until nominations close)"
    )


class RejectionIn(In):
    reason_code: str = Field(pattern=r"^[a-z0-9_]{1,50}$")
    reason: Reason


class NotStanding(BaseModel):
    id: str
    nominee_name: str | None = Field(
        description="null unless the nominee accepted (and the name was not erased)"
    )
    reason: str


class CandidatesOut(BaseModel):
    round_id: str
    constituency_id: str
    standing: list[NominationOut]
    not_standing: list[NotStanding]


class BallotIn(In):
    """Approvals for an approval method, a ranking for a ranked one: the method decides."""

    approvals: list[Id] | None = Field(default=None, max_length=1000)
    ranking: list[Id] | None = Field(
        default=None, max_length=1000, description="candidate ids, first preference first"
    )


class BallotCast(BaseModel):
    ballot_id: int
    approvals: list[str] | None
    ranking: list[str] | None = None
    receipt: str = Field(description="hash of the ballot's log entry")


class BallotOut(BaseModel):
    ballot_id: int | None = Field(description="null in a secret ballot: it tells the order")
    voter_organisation_id: str | None = Field(description="null in a secret ballot")
    approvals: list[str]
    ranking: list[str] | None = None
    receipt: str = Field(
        description="the leaf hash of the ballot.cast entry that logged the commitment"
    )
    commitment: str | None = Field(
        default=None,
        description="what the log held of the ballot while voting was open; the close's "
        "ballots.opened entry holds its contents and salt (null: a ballot from before sealing)",
    )
    cast_at: datetime | None = Field(description="null in a secret ballot")
    counted: bool = Field(description="false when the voter cast a later ballot")
    names: dict[str, NameOut] = Field(description=NAMES_DESCRIPTION)


class VotersOut(BaseModel):
    voters: list[str] = Field(description="the organisations that voted, by id, sorted")
    ballot_secrecy: Literal["open", "secret"]
    names: dict[str, NameOut] = Field(description=NAMES_DESCRIPTION)


class OutcomeOut(BaseModel):
    round_id: str
    constituency_id: str
    record: dict[str, Any]
    canonical: str = Field(description="the exact RFC 8785 bytes that were signed")
    record_hash: str
    envelope: dict[str, Any]
    names: dict[str, NameOut] = Field(
        description="the record's candidates (and a designation's coordinators) by public "
        "name; not part of the signed record",
    )


class CommitmentIn(In):
    commitment: Hex64 = Field(
        description='hex SHA-256 of "mandate.commit/1\\n" + party + "\\n" + secret (64 hex)'
    )


class RevealIn(In):
    secret: Hex64


class BeaconValueIn(In):
    round: int = Field(ge=1, le=2**53 - 1)
    randomness: Hex64
    signature: str = Field(pattern=r"^[0-9a-f]{2,400}$")


class RandomnessWritten(BaseModel):
    party: str
    commitment: str | None = None
    secret: str | None = None
    receipt: str


class BeaconDueOut(BaseModel):
    chain_hash: str
    round: int
    at: datetime | None = Field(description="when the network publishes the round")


class RandomnessOut(BaseModel):
    round_id: str
    constituency_id: str
    lot: str = Field(description="the lot domain the round's criteria name: mandate.lot/2 now")
    parties: list[str] = Field(description="who may commit: the secretariat and the coordinators")
    commitments_close_at: datetime
    reveals_open_at: datetime | None = Field(description="None: the rules name no commit-reveal")
    reveals_close_at: datetime | None
    beacon_due: BeaconDueOut | None = Field(
        description="the beacon round the count waits for (derived from the schedule; it moves "
        "when voting close is extended)"
    )
    commitments: list[dict[str, Any]]
    reveals: list[dict[str, Any]]
    beacon: dict[str, Any] | None


class DecisionIn(In):
    winners: list[Id] = Field(max_length=100)
    alternates: list[Id] = Field(default_factory=list, max_length=100)


class DecisionOut(BaseModel):
    decision_hash: str
    winners: list[str]
    alternates: list[str]
    receipt: str


class ScoreOut(BaseModel):
    label: str = Field(
        description="what the value is: load (Phragmén), price per voter (Equal Shares), PAV "
        "score added, votes when elected (STV), chance of selection (maximin lottery)"
    )
    value: str = Field(description="exact, as the signed record has it, e.g. 19/27")
    decimal: str = Field(description=f"the same value with {PLACES} decimals, e.g. 0.703704")


DECIMALS_NOTE = (
    "; beside every fraction `key` (e.g. a load 19/27) stands `key_decimal`, the same value with "
    f"{PLACES} decimals rounded once from the exact fraction (0.703704)"
)


class CountOut(BaseModel):
    round_id: str
    constituency_id: str
    method: str
    seats: int
    winners: list[str]
    alternates: list[str]
    unfilled: int
    unfilled_reason: str | None
    steps: list[dict[str, Any]] = Field(
        description="the count step by step, as the method ran it" + DECIMALS_NOTE
    )
    details: dict[str, Any] = Field(description="the method's summary" + DECIMALS_NOTE)
    seed: str
    randomness: dict[str, Any] | None
    record_hash: str
    names: dict[str, NameOut] = Field(
        description="the candidates (and a designation's coordinators) by public name",
    )
    scores: dict[str, ScoreOut] = Field(
        description="each winner's and alternate's score by candidate id, where the method "
        "has one (not the uniform lottery, not a designation)",
    )
