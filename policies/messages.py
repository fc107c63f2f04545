"""Sentences a person reads, marked for translation, with their specifics as named parameters.

A message is its English text with ``%(name)s`` placeholders (a gettext message id). ``N_`` and
``NP_`` mark one for extraction (i18n/catalogs.py reads their calls) and return it as a
``Message``, still English text: where nobody translates it, it reads as it always did. It is
translated where it is shown, in the reader's language (i18n/): an API error's ``detail``, a
mail. Parameters stay as given (ids, codes, dates, numbers); one that is itself a ``Message``
or a ``Phrase`` (a message with parameters of its own) is translated too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


class Translator(Protocol):
    """What ``gettext.NullTranslations`` and its subclasses offer."""

    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


class Message(str):
    """A message id. ``plural`` and ``number`` for one whose words follow a number: the
    parameter named ``number`` chooses the plural form."""

    plural: str | None
    number: str | None

    def __new__(cls, text: str, plural: str | None = None, number: str | None = None) -> Message:
        made = super().__new__(cls, text)
        made.plural, made.number = plural, number
        return made

    def __getnewargs__(self) -> tuple[str, str | None, str | None]:  # type: ignore[override]
        return str(self), self.plural, self.number


def N_(text: str) -> Message:
    """Marks a message for translation."""
    return Message(text)


def NP_(singular: str, plural: str, number: str = "n") -> Message:
    """Marks a message with a plural form, chosen by the parameter named ``number``."""
    return Message(singular, plural, number)


@dataclass(frozen=True)
class Phrase:
    """A part of a sentence, with its own parameters: "%(n)s seats" inside "cannot be met with
    %(seats)s". As text (``str``, an f-string) it is English."""

    message: Message
    params: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self.message, self.params)


def phrase(message: Message, **params: object) -> Phrase:
    return Phrase(message, params)


def render(
    message: Message, params: Mapping[str, object], translator: Translator | None = None
) -> str:
    """The message with its parameters filled in: in English without a translator, else in
    the translator's language. A translation that does not fit the parameters (a catalog
    mistake the catalog test catches) gives the English text rather than a failure."""
    filled = {k: _said(v, translator) for k, v in params.items()}
    english = _fill(_english(message, filled), filled)
    if translator is None:
        return english
    if message.plural is not None and message.number is not None:
        text = translator.ngettext(message, message.plural, _count(filled, message.number))
    else:
        text = translator.gettext(message)
    try:
        return _fill(text, filled)
    except (KeyError, ValueError, TypeError):
        return english


def _said(value: object, translator: Translator | None) -> object:
    if isinstance(value, Phrase):
        return render(value.message, value.params, translator)
    if isinstance(value, Message):
        return render(value, {}, translator)
    return value


def _english(message: Message, params: Mapping[str, object]) -> str:
    if message.plural is not None and message.number is not None:
        return str(message) if _count(params, message.number) == 1 else message.plural
    return str(message)


def _count(params: Mapping[str, object], name: str) -> int:
    value = params.get(name, 0)
    return value if isinstance(value, int) else 0


def _fill(text: str, params: Mapping[str, object]) -> str:
    # gettext's rule: a message without parameters is not %-formatted, so a bare % stays.
    return str(text) % params if params else str(text)
