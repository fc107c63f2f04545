"""A submitted form, kept to show again with its errors (GOV.UK style: a summary at the top
linking to each field, and each error beside its field)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from starlette.datastructures import FormData

MAX_VALUE = 10_000  # characters kept of any one value; the API's own limits then apply


@dataclass
class Form:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # field -> message id, in form order

    @classmethod
    def of(cls, data: FormData, names: Iterable[str]) -> Form:
        values = {}
        for name in names:
            value = data.get(name, "")
            values[name] = value.strip()[:MAX_VALUE] if isinstance(value, str) else ""
        return cls(values)

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def value(self, name: str) -> str:
        return self.values.get(name, "")
