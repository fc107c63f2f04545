"""Table definitions. Migrations in ``store/migrations`` must match these."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from store.columns import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

organisation = Table(
    "organisation",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("country", String(2), nullable=False),
    Column("region", String(100), nullable=False),
    Column("type", String(100), nullable=False),
    Column("migrant_led", Boolean, nullable=False),
    Column("grassroots", Boolean, nullable=False),
    Column("contact_email", String(320), nullable=False),
    Column("public_key", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("lang", String(10), nullable=True),  # its chosen language; none: each request's
    # Country and folded name (policies/signatories.py): one registration per organisation,
    # and no signature under a registered organisation's name but through it.
    Column("name_key", String(400), nullable=False),
    Index("ix_organisation_name_key", "name_key"),
)

# The region list in force: the codes an organisation's ``region`` is chosen from (the
# published list is logged as ``regions.published``; this is its current state).
region = Table(
    "region",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("parent", String(64), nullable=True),
    Column("position", Integer, nullable=False),  # the order it was published in
)

# Log entries a migration owes: a migration holds no signing key, so it leaves them here and
# ``store.deferred_log`` signs and appends them, once, at bootstrap or worker start.
deferred_log_entry = Table(
    "deferred_log_entry",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(100), nullable=False),
    Column("type", String(100), nullable=False),
    Column("actor", String(100), nullable=True),
    Column("data", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

constituency = Table(
    "constituency",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(300), nullable=False, unique=True),
    Column("description", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

coordinator = Table(
    "coordinator",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("constituency_id", String(36), ForeignKey("constituency.id"), nullable=False),
    Column("name", String(300), nullable=False),
    Column("email", String(320), nullable=False),
    Column("organisation_id", String(36), ForeignKey("organisation.id"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("removed_at", UTCDateTime, nullable=True),
)

membership = Table(
    "membership",
    metadata,
    Column("constituency_id", String(36), ForeignKey("constituency.id"), primary_key=True),
    Column("organisation_id", String(36), ForeignKey("organisation.id"), primary_key=True),
    Column("admitted_at", UTCDateTime, nullable=False),
    Column("removed_at", UTCDateTime, nullable=True),
)

credential = Table(
    "credential",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("constituency_id", String(36), ForeignKey("constituency.id"), nullable=True),
    Column("organisation_id", String(36), ForeignKey("organisation.id"), nullable=True),
    Column("coordinator_id", String(36), ForeignKey("coordinator.id"), nullable=True),
    Column("label", String(300), nullable=False),
    Column("created_by", String(36), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

round_ = Table(
    "round",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("segments", JSON, nullable=False),
    Column("participants", JSON, nullable=False),
    Column("phase", String(30), nullable=False),
    # Monotonic counter of mirrored phase changes: makes the mirror activity idempotent.
    Column("phase_seq", Integer, nullable=False),
    Column("nominations_open_at", UTCDateTime, nullable=False),
    Column("nominations_close_at", UTCDateTime, nullable=False),
    Column("voting_open_at", UTCDateTime, nullable=False),
    Column("voting_close_at", UTCDateTime, nullable=False),
    Column("criteria", Text, nullable=True),
    Column("criteria_hash", String(64), nullable=True),
    Column("criteria_envelope", Text, nullable=True),
    Column("criteria_version", Integer, nullable=True),
    Column("workflow_id", String(100), nullable=True),
    Column("cancel_reason", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime, nullable=True),
    # Seconds per window (policies.notice): the draft's own, then the minimums in force.
    Column("minimum_notice", JSON, nullable=True),
    # Percent of each constituency's members who must approve its rules (store/ratification.py).
    Column("ratification_threshold", Integer, nullable=True),
)

log_head = Table(
    "log_head",
    metadata,
    Column("scope", String(100), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("head_hash", String(64), nullable=False),
)

log_entry = Table(
    "log_entry",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(100), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(100), nullable=False),
    Column("statement", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # The DSSE envelope over the statement, byte for byte: the Merkle tree's leaf.
    Column("envelope", Text, nullable=True),
    Column("leaf_hash", String(64), nullable=True),
    # Position in the Merkle tree, assigned by the integrator after the entry commits.
    Column("idx", BigInteger, nullable=True, unique=True),
    UniqueConstraint("scope", "seq", name="uq_log_entry_scope_seq"),
)

Index("ix_log_entry_leaf_hash", log_entry.c.leaf_hash)

# Every complete subtree of the log's Merkle tree: proofs cost O(log n) reads.
tree_node = Table(
    "tree_node",
    metadata,
    Column("level", Integer, primary_key=True),
    Column("idx", BigInteger, primary_key=True),
    Column("hash", LargeBinary(32), nullable=False),
)

# One row: the integrated size. Locking it serialises integrators.
log_state = Table(
    "log_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("size", BigInteger, nullable=False),
)

checkpoint = Table(
    "checkpoint",
    metadata,
    Column("size", BigInteger, primary_key=True),
    Column("root_hash", String(64), nullable=False),
    Column("note", Text, nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# The published key list. Times are kept as the exact RFC 3339 strings the list publishes.
signing_key = Table(
    "signing_key",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("purpose", String(20), nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("valid_from", String(40), nullable=False),
    Column("valid_until", String(40), nullable=True),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

idempotency_record = Table(
    "idempotency_record",
    metadata,
    Column("principal", String(36), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    # Null while the request that claimed the key is still running (store/idempotency.py).
    Column("status_code", Integer, nullable=True),
    Column("body", Text, nullable=True),
    # Leaf hashes of the log entries the write made, comma-separated (the receipt header).
    Column("receipts", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    # The request that holds the key, and since when: a claim left by a killed process expires.
    Column("claim", String(36), nullable=True),
    Column("claimed_at", UTCDateTime, nullable=True),
)

# Counters of the rate limits and mail budgets (store/rate_limits.py): one per limit and whom it
# counts, until its window ends.
rate_limit = Table(
    "rate_limit",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_rate_limit_expires_at", "expires_at"),
)

Index("ix_membership_organisation", membership.c.organisation_id)
Index("ix_coordinator_constituency", coordinator.c.constituency_id)

# A constituency's draft rules put to its members, and the secretariat's override, if any.
rules_ratification = Table(
    "rules_ratification",
    metadata,
    Column("round_id", String(36), ForeignKey("round.id"), primary_key=True),
    Column("constituency_id", String(36), ForeignKey("constituency.id"), primary_key=True),
    Column("rules_version", Integer, nullable=True),  # null: never put, only overridden
    Column("opened_at", UTCDateTime, nullable=False),
    Column("opened_by", String(36), nullable=False),
    Column("override_reason", Text, nullable=True),
    Column("override_at", UTCDateTime, nullable=True),
)

# Each member organisation's latest answer to the rules it was given.
rules_approval = Table(
    "rules_approval",
    metadata,
    Column("round_id", String(36), ForeignKey("round.id"), primary_key=True),
    Column("constituency_id", String(36), ForeignKey("constituency.id"), primary_key=True),
    Column("organisation_id", String(36), ForeignKey("organisation.id"), primary_key=True),
    Column("rules_version", Integer, nullable=False),
    Column("approve", Boolean, nullable=False),
    Column("comment", Text, nullable=True),
    Column("answered_at", UTCDateTime, nullable=False),
)

constituency_rules = Table(
    "constituency_rules",
    metadata,
    Column("round_id", String(36), ForeignKey("round.id"), primary_key=True),
    Column("constituency_id", String(36), ForeignKey("constituency.id"), primary_key=True),
    Column("rules", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_by", String(36), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

nomination = Table(
    "nomination",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("round_id", String(36), ForeignKey("round.id"), nullable=False),
    Column("constituency_id", String(36), ForeignKey("constituency.id"), nullable=False),
    Column("nominee_name", String(300), nullable=True),  # null once erased
    Column("organisation_id", String(36), ForeignKey("organisation.id"), nullable=False),
    Column("nominated_by", String(36), nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("statement", JSON, nullable=False),
    Column("consent_token_hash", String(64), nullable=False),
    # pending | accepted | declined
    Column("consent", String(20), nullable=False),
    Column("consent_at", UTCDateTime, nullable=True),
    Column("rejection_code", String(100), nullable=True),
    Column("rejection_text", Text, nullable=True),
    Column("rejected_at", UTCDateTime, nullable=True),
    # Set when nominations close: whether it stands, and why not.
    Column("standing", Boolean, nullable=True),
    Column("not_standing_reason", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    # The nominee's address, never logged or published; erased with the profile, or once the
    # round is decided and MANDATE_CONTACT_RETENTION_DAYS have passed.
    Column("nominee_email", String(320), nullable=True),
    # What the log holds of the profile (records.profile_seal), and the salt the bundle
    # discloses once the nominee consents; null on nominations logged in clear before them.
    Column("profile_commitment", String(64), nullable=True),
    Column("profile_salt", String(64), nullable=True),
    Column("erased_at", UTCDateTime, nullable=True),  # the personal data were erased then
    Column("withdrawn_at", UTCDateTime, nullable=True),  # by the organisation that made it
)

endorsement = Table(
    "endorsement",
    metadata,
    Column("nomination_id", String(36), ForeignKey("nomination.id"), primary_key=True),
    Column("organisation_id", String(36), ForeignKey("organisation.id"), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("withdrawn_at", UTCDateTime, nullable=True),  # kept: the log says it was given
)

ballot = Table(
    "ballot",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_id", String(36), ForeignKey("round.id"), nullable=False),
    Column("constituency_id", String(36), ForeignKey("constituency.id"), nullable=False),
    # Null once a secret ballot's close has deleted the link to its voter.
    Column("voter_organisation_id", String(36), ForeignKey("organisation.id"), nullable=True),
    Column("approvals", JSON, nullable=False),  # [] on a ranked ballot
    Column("ranking", JSON, nullable=True),  # ranked methods: first preference first
    Column("entry_hash", String(64), nullable=False),
    Column("cast_at", UTCDateTime, nullable=False),
    # What the log holds while voting is open (records.ballot_seal); null on unsealed ballots.
    Column("commitment", String(64), nullable=True),
    Column("salt", String(64), nullable=True),
)

outcome = Table(
    "outcome",
    metadata,
    Column("round_id", String(36), ForeignKey("round.id"), primary_key=True),
    Column("constituency_id", String(36), ForeignKey("constituency.id"), primary_key=True),
    Column("record", Text, nullable=False),
    Column("record_hash", String(64), nullable=False),
    Column("envelope", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

Index("ix_nomination_round_constituency", nomination.c.round_id, nomination.c.constituency_id)
Index(
    "ix_ballot_round_constituency_voter",
    ballot.c.round_id,
    ballot.c.constituency_id,
    ballot.c.voter_organisation_id,
)

# Commit-reveal randomness of a selection: each party's commitments (before nominations close)
# and reveals (after), and the public beacon's value where the rules name one.
randomness_commitment = Table(
    "randomness_commitment",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_id", String(36), ForeignKey("round.id"), nullable=False),
    Column("constituency_id", String(36), ForeignKey("constituency.id"), nullable=False),
    Column("party", String(100), nullable=False),
    Column("commitment", String(64), nullable=False),
    Column("committed_at", UTCDateTime, nullable=False),
    Index("ix_randomness_commitment_selection", "round_id", "constituency_id"),
)

randomness_reveal = Table(
    "randomness_reveal",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_id", String(36), ForeignKey("round.id"), nullable=False),
    Column("constituency_id", String(36), ForeignKey("constituency.id"), nullable=False),
    Column("party", String(100), nullable=False),
    Column("secret", String(64), nullable=False),
    Column("revealed_at", UTCDateTime, nullable=False),
    Index("ix_randomness_reveal_selection", "round_id", "constituency_id"),
)

beacon_value = Table(
    "beacon_value",
    metadata,
    Column("round_id", String(36), ForeignKey("round.id"), primary_key=True),
    Column("constituency_id", String(36), ForeignKey("constituency.id"), primary_key=True),
    Column("chain_hash", String(64), nullable=False),
    Column("beacon_round", BigInteger, nullable=False),
    Column("randomness", String(64), nullable=False),
    Column("signature", Text, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)

# Designation: decisions the coordinators propose, and their approvals (the latest counts).
designation_decision = Table(
    "designation_decision",
    metadata,
    Column("round_id", String(36), ForeignKey("round.id"), primary_key=True),
    Column("constituency_id", String(36), ForeignKey("constituency.id"), primary_key=True),
    Column("decision_hash", String(64), primary_key=True),
    Column("decision", JSON, nullable=False),
    Column("proposed_by", String(100), nullable=False),
    Column("proposed_at", UTCDateTime, nullable=False),
)

designation_approval = Table(
    "designation_approval",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_id", String(36), ForeignKey("round.id"), nullable=False),
    Column("constituency_id", String(36), ForeignKey("constituency.id"), nullable=False),
    Column("coordinator", String(100), nullable=False),
    Column("decision_hash", String(64), nullable=False),
    Column("approved_at", UTCDateTime, nullable=False),
    Index("ix_designation_approval_selection", "round_id", "constituency_id"),
)

# -- sign-on campaigns

campaign = Table(
    "campaign",
    metadata,
    Column("id", String(36), primary_key=True),
    # Set when a constituency's coordinators made it: they manage it beside the secretariat.
    Column("owner_constituency_id", String(36), ForeignKey("constituency.id"), nullable=True),
    # The statement by language ({lang: {title, text}}): the draft, then the current version.
    Column("texts", JSON, nullable=False),
    Column("signers", String(20), nullable=False),  # any | members
    Column("constituencies", JSON, nullable=False),  # whose members may sign (members only)
    Column("opens_at", UTCDateTime, nullable=False),
    Column("closes_at", UTCDateTime, nullable=False),
    Column("milestones", JSON, nullable=False),
    Column("contact_name", String(300), nullable=False),
    Column("contact_email", String(320), nullable=False),
    Column("phase", String(30), nullable=False),
    # Monotonic counter of mirrored phase changes: makes the mirror activity idempotent.
    Column("phase_seq", Integer, nullable=False),
    Column("version", Integer, nullable=True),  # the current statement version, once published
    Column("statement_hash", String(64), nullable=True),
    Column("workflow_id", String(100), nullable=True),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime, nullable=True),
    Column("lang", String(10), nullable=True),  # its drafter's: its notices' language
)

statement_version = Table(
    "statement_version",
    metadata,
    Column("campaign_id", String(36), ForeignKey("campaign.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("canonical", Text, nullable=False),  # the exact bytes hashed and signed
    Column("statement_hash", String(64), nullable=False),
    Column("envelope", Text, nullable=False),
    Column("reason", Text, nullable=True),
    Column("published_by", String(36), nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
)

campaign_signature = Table(
    "campaign_signature",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("campaign_id", String(36), ForeignKey("campaign.id"), nullable=False),
    Column("kind", String(10), nullable=False),  # member | outside
    Column("organisation_id", String(36), ForeignKey("organisation.id"), nullable=True),
    Column("constituency_id", String(36), ForeignKey("constituency.id"), nullable=True),
    Column("organisation_name", String(300), nullable=False),
    Column("country", String(2), nullable=False),
    Column("org_type", String(100), nullable=False),
    Column("region", String(100), nullable=False),
    Column("name_key", String(400), nullable=False),
    # The name key while the signature holds it; NULL once a lapsed pending signature frees it.
    Column("dedup_key", String(400), nullable=True),
    Column("signer_name", String(300), nullable=True),
    Column("signer_role", String(300), nullable=True),
    Column("email", String(320), nullable=True),
    Column("version", Integer, nullable=False),  # the statement version its signer saw
    Column("state", String(20), nullable=False),  # pending | confirmed | withdrawn | lapsed
    Column("code_hash", String(64), nullable=True),
    Column("code_expires_at", UTCDateTime, nullable=True),
    Column("code_attempts", Integer, nullable=False),
    Column("codes_sent", Integer, nullable=False),
    Column("signer_token_hash", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("confirmed_at", UTCDateTime, nullable=True),
    Column("withdrawn_at", UTCDateTime, nullable=True),
    Column("withdraw_reason", Text, nullable=True),
    # The signer's name, role and e-mail address were erased then (by the secretariat).
    Column("erased_at", UTCDateTime, nullable=True),
    Column("lang", String(10), nullable=True),  # the signer's when signing: its mail's
    UniqueConstraint("campaign_id", "dedup_key", name="uq_campaign_signature_dedup"),
    UniqueConstraint("campaign_id", "organisation_id", name="uq_campaign_signature_organisation"),
)

Index("ix_campaign_signature_state", campaign_signature.c.campaign_id, campaign_signature.c.state)

# The running count of confirmed signatures of a campaign that has milestones, and how many of
# them it has reached. Every confirming write updates this row last, so on PostgreSQL the
# writes take turns on it for their last moment and every crossing is seen exactly once.
campaign_tally = Table(
    "campaign_tally",
    metadata,
    Column("campaign_id", String(36), ForeignKey("campaign.id"), primary_key=True),
    Column("confirmed", Integer, nullable=False),
    Column("reached", Integer, nullable=False),
)

campaign_milestone = Table(
    "campaign_milestone",
    metadata,
    Column("campaign_id", String(36), ForeignKey("campaign.id"), primary_key=True),
    Column("threshold", Integer, primary_key=True),
    Column("count", Integer, nullable=False),
    Column("reached_at", UTCDateTime, nullable=False),
)

signatory_record = Table(
    "signatory_record",
    metadata,
    Column("campaign_id", String(36), ForeignKey("campaign.id"), primary_key=True),
    Column("record", Text, nullable=False),
    Column("record_hash", String(64), nullable=False),
    Column("envelope", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# -- notices: mail waiting to be sent, webhooks and their delivery log

mail_outbox = Table(
    "mail_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dedup_key", String(200), nullable=False, unique=True),  # one mail per notice
    Column("campaign_id", String(36), ForeignKey("campaign.id"), nullable=True),
    Column("purpose", String(50), nullable=False),
    Column("to_address", String(320), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=True),  # emptied once sent: it may hold a one-time code
    Column("created_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("failed_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
)

Index("ix_mail_outbox_waiting", mail_outbox.c.sent_at, mail_outbox.c.next_attempt_at)

webhook = Table(
    "webhook",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("campaign_id", String(36), ForeignKey("campaign.id"), nullable=False),
    Column("url", Text, nullable=False),
    # Sealed (store/sealing.py): every delivery's HMAC needs it back. Shown once, when registered.
    Column("secret", Text, nullable=False),
    Column("events", JSON, nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("removed_at", UTCDateTime, nullable=True),
)

webhook_delivery = Table(
    "webhook_delivery",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("webhook_id", String(36), ForeignKey("webhook.id"), nullable=False),
    Column("campaign_id", String(36), ForeignKey("campaign.id"), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("event_type", String(50), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("delivered", Boolean, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

Index("ix_webhook_delivery_campaign", webhook_delivery.c.campaign_id)

# One-time sign-in links for the web pages (store/web_sessions.py): the token's SHA-256 only.
web_sign_in = Table(
    "web_sign_in",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("email", String(320), nullable=False),
    Column("lang", String(10), nullable=False),  # the mail's language, and the session's
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
)

Index("ix_web_sign_in_expires_at", web_sign_in.c.expires_at)

# People's sessions on the web pages: the cookie token's SHA-256, and the credential the
# session acts with (issued for it at sign-in, or the pasted API token's).
web_session = Table(
    "web_session",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("credential_id", String(36), ForeignKey("credential.id"), nullable=False),
    Column("own_credential", Boolean, nullable=False),  # issued for this session
    Column("lang", String(10), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
)

# -- round notices (store/round_notices.py): every notice of a round, queued in the transaction
# of what caused it, rendered and handed to the mail outbox when due; the log a coordinator shows.
round_notice = Table(
    "round_notice",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dedup_key", String(200), nullable=False, unique=True),  # also the mail's
    Column("round_id", String(36), ForeignKey("round.id"), nullable=False),
    Column("constituency_id", String(36), ForeignKey("constituency.id"), nullable=True),
    Column("kind", String(50), nullable=False),
    # The recipient: a member organisation, or a person (the nominee of a nomination...).
    Column("organisation_id", String(36), ForeignKey("organisation.id"), nullable=True),
    Column("person", String(100), nullable=True),  # e.g. "nominee:<nomination id>"
    Column("channel", String(20), nullable=False),  # mail
    Column("to_address", String(320), nullable=True),  # never exported
    Column("lang", String(10), nullable=False),
    # What the words are made from, sealed (a consent request holds its token); emptied once sent.
    Column("params", Text, nullable=True),
    # Reminders: sent only to those who have not acted by then ("nominate", "vote", "consent").
    Column("condition", String(30), nullable=True),
    Column("deadline", String(30), nullable=True),  # the deadline a reminder comes before
    Column("before_seconds", Integer, nullable=True),
    Column("subject", String(300), nullable=True),  # once rendered
    Column("created_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("released_at", UTCDateTime, nullable=True),  # handed to the mail outbox
    Column("skipped_at", UTCDateTime, nullable=True),
    Column("skip_reason", String(50), nullable=True),
)

Index("ix_round_notice_round", round_notice.c.round_id)
Index("ix_round_notice_waiting", round_notice.c.released_at, round_notice.c.due_at)

# Webhooks of a constituency's rounds (Standard Webhooks), and their durable outbox.
round_webhook = Table(
    "round_webhook",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("constituency_id", String(36), ForeignKey("constituency.id"), nullable=False),
    Column("url", Text, nullable=False),
    Column("secret", Text, nullable=False),  # sealed; shown once
    Column("created_by", String(36), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("removed_at", UTCDateTime, nullable=True),
)

webhook_outbox = Table(
    "webhook_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(200), nullable=False, unique=True),  # webhook-id
    Column("webhook_id", String(36), ForeignKey("round_webhook.id"), nullable=False),
    Column("round_id", String(36), ForeignKey("round.id"), nullable=False),
    Column("event_type", String(50), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("failed_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
)

Index("ix_webhook_outbox_waiting", webhook_outbox.c.sent_at, webhook_outbox.c.next_attempt_at)

# -- seats: acceptance of the seats an outcome gives, and substitutions (store/seats.py)
seat_state = Table(
    "seat_state",
    metadata,
    Column("round_id", String(36), ForeignKey("round.id"), primary_key=True),
    Column("constituency_id", String(36), ForeignKey("constituency.id"), primary_key=True),
    Column("seats", Integer, nullable=False),  # the seats the round gives the constituency
    # The hash the next amendment names: the outcome's, then the last amendment's.
    Column("head_hash", String(64), nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("confirmed_at", UTCDateTime, nullable=True),  # every seat accepted or left empty
)

seat_offer = Table(
    "seat_offer",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_id", String(36), ForeignKey("round.id"), nullable=False),
    Column("constituency_id", String(36), ForeignKey("constituency.id"), nullable=False),
    Column("seat", Integer, nullable=False),  # 1-based, in the outcome's order of winners
    Column("nomination_id", String(36), ForeignKey("nomination.id"), nullable=True),  # none: empty
    # offered | accepted | declined | lapsed | empty
    Column("status", String(20), nullable=False),
    Column("offered_at", UTCDateTime, nullable=False),
    Column("deadline", UTCDateTime, nullable=True),
    Column("answered_at", UTCDateTime, nullable=True),
)

Index("ix_seat_offer_round_constituency", seat_offer.c.round_id, seat_offer.c.constituency_id)
Index("ix_seat_offer_nomination", seat_offer.c.nomination_id)
