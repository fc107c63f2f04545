"""Request bodies of erasing personal data."""

from __future__ import annotations

from pydantic import Field

from api.schemas import In, Reason


class ErasureIn(In):
    """The nominee gives the consent token; the secretariat (with its bearer token) a reason."""

    token: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the nomination's consent token: its nominee erases a nomination they declined",
    )
    reason: Reason | None = Field(
        default=None,
        description="the secretariat's reason, published in the personal_data.erased entry",
    )


class SignatureErasureIn(In):
    reason: Reason = Field(
        description="the secretariat's reason, published in the personal_data.erased entry"
    )
