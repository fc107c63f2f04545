"""Reading the management forms: whole numbers, times in the reader's zone, and validation by
the API's own pydantic models, each error put beside the field it is about.

The errors a form carries here are already in the reader's words (translated, and filled in
with their values), so templates show them as text and never pass them through ``_()``.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from web.errors import N_
from web.forms import Form
from web.pages import Reader, Web

M = TypeVar("M", bound=BaseModel)

WHOLE_NUMBER = N_("Enter a whole number, like 2")
TIME_FORMAT = N_("Enter a date and time like 2027-03-01 14:00")
CHECK_FIELD = N_("Check this field")

_TIME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})$")


class Words:
    """A form's errors in one language."""

    def __init__(self, translations: gettext.NullTranslations) -> None:
        self.translations = translations

    @classmethod
    def of(cls, web: Web, reader: Reader) -> Words:
        return cls(web.translations[reader.lang])

    def __call__(self, message: str, **values: Any) -> str:
        text = self.translations.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = self.translations.ngettext(singular, plural, n)
        return text % {"num": n, **values}


def number(form: Form, name: str, say: Words) -> int | None:
    """The field as a whole number; None when empty or not one (then the field has an error)."""
    text = form.value(name).replace(" ", "")
    if not text:
        return None
    if not re.fullmatch(r"-?\d{1,7}", text):
        form.fail(name, say(WHOLE_NUMBER))
        return None
    return int(text)


def zone_of(reader: Reader) -> ZoneInfo:
    return reader.zone or ZoneInfo("UTC")


def moment(form: Form, name: str, reader: Reader, say: Words) -> datetime | None:
    """The field as a moment, read in the reader's time zone; None when empty or malformed
    (then the field has an error)."""
    text = form.value(name)
    found = _TIME.match(text)
    if not text:
        return None
    if found is None:
        form.fail(name, say(TIME_FORMAT))
        return None
    year, month, day, hour, minute = (int(g) for g in found.groups())
    try:
        return datetime(year, month, day, hour, minute, tzinfo=zone_of(reader))
    except ValueError:
        form.fail(name, say(TIME_FORMAT))
        return None


def moment_value(at: datetime | None, reader: Reader) -> str:
    """A moment as the form shows it, in the reader's time zone."""
    if at is None:
        return ""
    return at.astimezone(zone_of(reader)).strftime("%Y-%m-%d %H:%M")


def validated(
    model: type[M],
    body: Mapping[str, Any],
    form: Form,
    field_of: Callable[[tuple[str, ...]], str],
    messages: Mapping[str, str],
    say: Words,
) -> M | None:
    """``body`` as the API's ``model``, or None with an error beside each field that is wrong:
    ``field_of`` names the form field of a pydantic error location, ``messages`` says what each
    field's error says (message ids)."""
    try:
        return model.model_validate(dict(body))
    except ValidationError as exc:
        for error in exc.errors():
            name = field_of(tuple(str(p) for p in error["loc"]))
            form.fail(name, say(messages.get(name, CHECK_FIELD)))
        return None
