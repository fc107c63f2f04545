"""Configuration, read from ``MANDATE_*`` environment variables."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    key_activation_delay: int = Field(
        default=30,
        ge=5,
        description="Seconds between a rotation and the new key taking over, so that every "
        "process knows the new key before it is due.",
    )

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
    def temporal_db_file(self) -> Path:
        return self.resolved_data_dir / "temporal.db"

    @property
    def bootstrap_token_file(self) -> Path:
        return self.resolved_data_dir / "secretariat.token"

    @property
    def temporal_host_port(self) -> tuple[str, int]:
        host, _, port = self.temporal_address.rpartition(":")
        return host or "127.0.0.1", int(port)
