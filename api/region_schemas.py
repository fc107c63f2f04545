"""Request and response bodies of the region list."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from api.schemas import In, _nfc
from policies.regions import MAX_CODE, MAX_NAME, MAX_REGIONS, Region

RegionCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_CODE,
        pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$",
        description="lower-case words joined by '-', e.g. sub-saharan-africa",
    ),
]
RegionName = Annotated[str, Field(min_length=1, max_length=MAX_NAME), AfterValidator(_nfc)]


class RegionIn(In):
    code: RegionCode
    name: RegionName = Field(description="in English, e.g. Sub-Saharan Africa")
    parent: RegionCode | None = Field(
        default=None, description="the code of the entry it is part of; null for a top level"
    )

    def region(self) -> Region:
        return Region(self.code, self.name, self.parent)


class RegionListIn(In):
    regions: list[RegionIn] = Field(
        min_length=1,
        max_length=MAX_REGIONS,
        description="the whole new list, in the order to show it; codes unique, every parent "
        "in the list, no code an organisation still has left out",
    )


class RegionOut(BaseModel):
    code: str
    name: str
    parent: str | None


class RegionListOut(BaseModel):
    regions: list[RegionOut] = Field(
        description="the region list in force: the codes an organisation's region is one of"
    )

    @classmethod
    def of(cls, regions: list[Region]) -> RegionListOut:
        return cls(regions=[RegionOut(code=r.code, name=r.name, parent=r.parent) for r in regions])
