"""Configuration, read from ``MANDATE_*`` environment variables."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

import limits
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from policies.notice import MinimumNotice

_PLACEHOLDERS = {"changeme", "change-me", "secret", "password", "xxx", "todo"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MANDATE_", extra="ignore", frozen=True)

    data_dir: Path = Field(default=Path("data"), description="Folder that holds all local state.")
    database_url: SecretStr | None = Field(
        default=None, description="SQLAlchemy URL; SQLite under the data folder when unset."
    )
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "mandate"
    temporal_ui_port: int = Field(default=8233, ge=1, le=65535)
    temporal_bin: Path | None = Field(
        default=None, description="Temporal CLI used by `mandate up`; the installed one when unset."
    )
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    keys_dir: Path | None = Field(
        default=None,
        description="Folder of private signing keys (<key id>.pem); `keys` in the data folder "
        "when unset. Keep it on a secrets volume in production.",
    )
    log_origin: str = Field(
        default="mandate.localhost/log",
        pattern=r"^[!-*,-~]+$",
        description="The log's name: first line of every checkpoint and its note key name.",
    )
    integrate_interval: float = Field(
        default=1.0, ge=0.05, le=60, description="Seconds between log integrations when idle."
    )
    bundle_wait: float = Field(
        default=5.0,
        ge=0,
        le=60,
        description="Seconds a bundle request waits for the log integrator to cover the entry "
        "that publishes its signed record, so that a bundle fetched right after a round is "
        "decided (or a campaign concluded) verifies.",
    )
    key_activation_delay: int = Field(
        default=30,
        ge=5,
        description="Seconds between a rotation and the new key taking over, so that every "
        "process knows the new key before it is due.",
    )

    smtp_host: str | None = Field(
        default=None,
        description="SMTP server for outgoing mail; unset: mail is written to the mail folder.",
    )
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = Field(
        default="Mandate <mandate@localhost>", min_length=3, description="From: of every mail"
    )
    mail_dir: Path | None = Field(
        default=None,
        description="Where mail goes without an SMTP server; `mail` in the data folder.",
    )
    mail_interval: float = Field(
        default=1.0, ge=0.05, le=60, description="Seconds between looks at the mail outbox."
    )
    drand_relay: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="A drand HTTP relay (e.g. https://api.drand.sh): the worker fetches the "
        "beacon round a selection waits for from it, verifies it and records it. Unset: the "
        "secretariat records it (PUT .../randomness/beacon).",
    )
    public_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="The API's address as mail names it; http://<api host>:<api port> when unset.",
    )
    letter_font: Path = Field(
        default=Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        description="TrueType font of the designation letters' PDF: it needs Latin and Arabic "
        "glyphs (DejaVu Sans, Debian's fonts-dejavu-core, has both).",
    )
    confirmation_ttl: int = Field(
        default=86_400,
        ge=60,
        le=30 * 86_400,
        description="Seconds a confirmation code lasts; a pending signature then lapses.",
    )
    idempotency_wait: float = Field(
        default=5.0,
        ge=0,
        le=60,
        description="Seconds a request waits for a running request with the same "
        "Idempotency-Key to answer; then 409 idempotency_in_progress.",
    )
    idempotency_claim_timeout: float = Field(
        default=60.0,
        ge=1,
        description="Seconds after which a claim on an Idempotency-Key whose request never "
        "answered (a killed API process) lapses, so that a retry runs.",
    )
    max_body_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="Largest request body the API reads; a larger one is refused (413).",
    )
    body_timeout: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Seconds a request body may take to arrive; a slower one is cut off (408).",
    )

    api_processes: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        le=64,
        description="API processes serving the one API port (`mandate api`, and so `mandate "
        "up`); the machine's core count when unset. One process uses at most one core.",
    )
    api_access_log: bool = Field(
        default=False, description="Log every request (uvicorn's access log); off, it costs CPU."
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="When set, GET /metrics needs it as its bearer token; unset, /metrics is "
        "public like /healthz.",
    )
    metrics_dir: Path | None = Field(
        default=None,
        description="Folder where the API processes of one `mandate api` keep their metrics "
        "(prometheus_client's multiprocess files), emptied when it starts; unset, a new "
        "temporary folder, removed when it stops. Never share it between two `mandate api`.",
    )
    worker_metrics_address: str | None = Field(
        default=None,
        pattern=r"^[^\s:]+:\d{1,5}$",
        description="host:port where the worker serves the Temporal SDK's own Prometheus "
        "metrics (workflow and activity failures, task latencies); unset: not served.",
    )

    rate_limits_enabled: bool = Field(
        default=True,
        description="Rate limits on writes and the confirmation mail budgets; turn them off "
        "only for benchmarks.",
    )
    rate_limit_per_address: str = Field(
        default="300/minute;3000/hour",
        description="Writes without a token (outside signatures, codes, consents) from one "
        "client address (an IPv6 /64), in the `limits` notation: `N/second|minute|hour|day`, "
        "several joined by ';'.",
    )
    rate_limit_per_token: str = Field(
        default="1200/minute", description="Writes with one token (every role)."
    )
    rate_limit_per_address_with_token: str = Field(
        default="",
        description="Writes with a token from one client address; empty: none. Members of a "
        "constituency often share one office address.",
    )
    trusted_proxies: str = Field(
        default="127.0.0.1",
        description="Addresses (comma-separated, or *) of reverse proxies whose "
        "X-Forwarded-For names the client, for the per-address limits.",
    )
    code_mails_per_campaign: str = Field(
        default="1000/hour;10000/day",
        description="Confirmation mails (codes and new codes) one campaign may send.",
    )
    code_mails_per_recipient: str = Field(
        default="10/hour;30/day",
        description="Confirmation mails one address may receive, all campaigns together.",
    )
    idempotency_ttl: int = Field(
        default=86_400,
        ge=60,
        description="Seconds a write's first answer is kept for retries with its "
        "Idempotency-Key; then the key is free again and the answer deleted.",
    )
    contact_retention_days: int = Field(
        default=30,
        ge=0,
        le=3650,
        description="Days after a round is decided (or cancelled), or a campaign concluded, "
        "after which its contact data are erased: nominees' e-mail addresses, outside signers' "
        "names, roles and addresses, and the addresses its confirmation mail went to.",
    )
    notice_nominations: int = Field(
        default=14 * 86_400,
        ge=0,
        description="Seconds a round must give from its publication to its nominations "
        "deadline, where the round does not set its own minimum (published in its criteria).",
    )
    notice_consent: int = Field(
        default=3 * 86_400,
        ge=0,
        description="Seconds each nominee has at least to consent: new nominations close this "
        "long before nominations do.",
    )
    notice_voting: int = Field(
        default=3 * 86_400, ge=0, description="Seconds voting must stay open, at least."
    )
    notice_acceptance: int = Field(
        default=3 * 86_400, ge=0, description="Seconds a selected speaker has to accept a seat."
    )
    web_session_ttl: int = Field(
        default=7 * 86_400,
        ge=300,
        le=90 * 86_400,
        description="Seconds a person stays signed in on the web pages (the session cookie's "
        "life); signing out, or revoking the session's credential, ends it sooner.",
    )
    web_sign_in_ttl: int = Field(
        default=1800,
        ge=60,
        le=86_400,
        description="Seconds a mailed sign-in link can be used (once).",
    )

    def minimum_notice(self) -> MinimumNotice:
        """The deployment's default minimum notice (policies.notice)."""
        return MinimumNotice(
            nominations=self.notice_nominations,
            consent=self.notice_consent,
            voting=self.notice_voting,
            acceptance=self.notice_acceptance,
        )

    @field_validator(
        "rate_limit_per_address",
        "rate_limit_per_token",
        "rate_limit_per_address_with_token",
        "code_mails_per_campaign",
        "code_mails_per_recipient",
    )
    @classmethod
    def _limits_notation(cls, value: str) -> str:
        if value.strip():
            try:
                limits.parse_many(value)
            except ValueError as exc:
                raise ValueError(
                    f"{value!r} is not a limit like '60/minute' or '60/minute;1000/day': {exc}"
                ) from None
        return value

    @field_validator("smtp_password")
    @classmethod
    def _no_placeholder_password(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().lower() in _PLACEHOLDERS:
            raise ValueError("smtp_password is a placeholder; set the real one")
        return value

    @field_validator("database_url")
    @classmethod
    def _no_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            raw = value.get_secret_value()
            if any(f":{p}@" in raw for p in _PLACEHOLDERS):
                raise ValueError("database_url carries a placeholder password; set a real one")
        return value

    @cached_property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def db_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.resolved_data_dir / 'mandate.db'}"

    @property
    def resolved_keys_dir(self) -> Path:
        return (self.keys_dir or self.resolved_data_dir / "keys").expanduser().resolve()

    @property
    def resolved_mail_dir(self) -> Path:
        return (self.mail_dir or self.resolved_data_dir / "mail").expanduser().resolve()

    @property
    def api_url(self) -> str:
        """Where mail tells people to send their requests."""
        return (self.public_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    @property
    def temporal_db_file(self) -> Path:
        return self.resolved_data_dir / "temporal.db"

    @property
    def bootstrap_token_file(self) -> Path:
        return self.resolved_data_dir / "secretariat.token"

    @property
    def temporal_host_port(self) -> tuple[str, int]:
        host, _, port = self.temporal_address.rpartition(":")
        return host or "127.0.0.1", int(port)
