"""What a refusal of a constituency's rules says, and beside which field of the rules form.

The policies explain a refusal in English (policies/constraints.py, store/rules.py). The
messages whose wording is fixed, with numbers and names filled in, are said again here in the
reader's language; any other stays as the policies wrote it, marked as English. Which field
it is about is read from what it names. tests/web/test_rule_refusals.py makes the policies
refuse each case, so that a change of wording there cannot go unnoticed here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from web import words as w
from web.errors import N_
from web.validation import Words

CONSTRAINTS = "constraints"  # the fieldset of balance rules: its errors stand above its rows


@dataclass(frozen=True)
class Refusal:
    field: str
    text: str
    english: bool  # the policies' own words, not translated


Say = Callable[[re.Match[str], Words], str]


def _attribute(name: str, say: Words) -> str:
    """An attribute by its name in the reader's language, when it is one the pages know."""
    return say(w.ATTRIBUTES[name]) if name in w.ATTRIBUTES else name


_SEATS_SHORT = re.compile(
    r"^at least (?P<min>\d+) with (?P<attribute>[^=]+)=(?P<value>.*) cannot be met with "
    r"(?P<seats>\d+) seats?$"
)
_UNDER_CAP = re.compile(
    r"^at least (?P<min>\d+) with (?P<attribute>[^=]+)=(?P<value>.*) cannot be met under "
    r"at most (?P<cap>\d+) per (?P=attribute)$"
)
_MINIMUMS = re.compile(
    r"^at least \d+ with (?P<attribute>[^=]+)=.* need (?P<need>\d+) seats together, but there "
    r"are (?P<seats>\d+) seats?$"
)
_QUORUM = re.compile(
    r"^a quorum of (?P<quorum>\d+) coordinators can never be met: constituency \S+ has "
    r"(?P<have>\d+)$"
)
_REGIONS = re.compile(
    r"^endorsements from (?P<regions>\d+) distinct regions cannot come from (?P<required>\d+) "
    r"required endorsements"
)


def _seats_short(m: re.Match[str], say: Words) -> str:
    return say.ngettext(
        "At least %(min)s with %(attribute)s “%(value)s” cannot be met: the constituency has "
        "%(num)s seat in this round.",
        "At least %(min)s with %(attribute)s “%(value)s” cannot be met: the constituency has "
        "%(num)s seats in this round.",
        int(m["seats"]),
        min=m["min"],
        attribute=_attribute(m["attribute"], say),
        value=m["value"],
    )


def _under_cap(m: re.Match[str], say: Words) -> str:
    return say(
        N_(
            "At least %(min)s with %(attribute)s “%(value)s” cannot be met when another rule "
            "allows at most %(cap)s for each %(attribute)s."
        ),
        min=m["min"],
        attribute=_attribute(m["attribute"], say),
        value=m["value"],
        cap=m["cap"],
    )


def _minimums(m: re.Match[str], say: Words) -> str:
    return say.ngettext(
        "The minimums on %(attribute)s need %(need)s seats together, but the constituency has "
        "%(num)s seat in this round.",
        "The minimums on %(attribute)s need %(need)s seats together, but the constituency has "
        "%(num)s seats in this round.",
        int(m["seats"]),
        attribute=_attribute(m["attribute"], say),
        need=m["need"],
    )


def _quorum(m: re.Match[str], say: Words) -> str:
    return say.ngettext(
        "A quorum of %(quorum)s coordinators can never be met: the constituency has %(num)s "
        "coordinator.",
        "A quorum of %(quorum)s coordinators can never be met: the constituency has %(num)s "
        "coordinators.",
        int(m["have"]),
        quorum=m["quorum"],
    )


def _regions(m: re.Match[str], say: Words) -> str:
    return say(
        N_(
            "Endorsements from %(regions)s different regions need at least %(regions)s required "
            "endorsements; %(required)s are required now."
        ),
        regions=m["regions"],
        required=m["required"],
    )


# (pattern, field, words); the first that matches says it.
_PATTERNS: tuple[tuple[re.Pattern[str], str, Say], ...] = (
    (_SEATS_SHORT, CONSTRAINTS, _seats_short),
    (_UNDER_CAP, CONSTRAINTS, _under_cap),
    (_MINIMUMS, CONSTRAINTS, _minimums),
    (_QUORUM, "quorum", _quorum),
    (_REGIONS, "endorsements_regions", _regions),
)

# Refusals said in words of their own, by how the policies' message begins.
_FIXED: tuple[tuple[str, str, str], ...] = (
    (
        "designation needs a quorum",
        "quorum",
        N_("Designation needs a quorum: how many coordinators must approve the same decision."),
    ),
    ("quorum is for designation", "quorum", N_("A quorum is only for designation.")),
    (
        "max_approvals is for approval methods",
        "max_approvals",
        N_("Leave this empty: it is only for approval votes."),
    ),
    (
        "max_ranks is for ranked methods",
        "max_ranks",
        N_("Leave this empty: it is only for ranked votes."),
    ),
    ("method ", "method", N_("This method cannot be counted on this server. Choose another.")),
)

# Fields a message names, for a refusal said in the policies' words.
_NAMED: tuple[tuple[str, str], ...] = (
    ("max_approvals", "max_approvals"),
    ("max_ranks", "max_ranks"),
    ("quorum", "quorum"),
    ("time_limit", "time_limit"),
    ("panels", "panels"),
    ("endorsements", "endorsements_required"),
    ("alternates", "alternates"),
    ("reveal_window", "commit_reveal"),
    ("beacon", "beacon"),
    ("method", "method"),
)

_CONSTRAINT_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "two constraints on ",
        N_("Two balance rules are about the same attribute and value: keep one of them."),
    ),
    (
        "a per-value bound (no value) takes only a max",
        N_(
            "A balance rule without a value sets only a maximum for each value; give a value to "
            "require a minimum."
        ),
    ),
    (" is more than max ", N_("A balance rule's minimum is more than its maximum.")),
)


def explain(detail: str, say: Words) -> Refusal:
    """Beside which field a refusal goes, and what it says there."""
    for pattern, field, words in _PATTERNS:
        found = pattern.match(detail)
        if found is not None:
            return Refusal(field, words(found, say), english=False)
    for start, field, message in _FIXED:
        if detail.startswith(start):
            return Refusal(field, say(message), english=False)
    if detail.startswith(("constraint on ", "two constraints on ")):
        for part, message in _CONSTRAINT_PATTERNS:
            if part in detail:
                return Refusal(CONSTRAINTS, say(message), english=False)
        return Refusal(CONSTRAINTS, detail, english=True)
    if detail.startswith(("at least ", "at most ")):
        return Refusal(CONSTRAINTS, detail, english=True)
    for name, field in _NAMED:
        if name in detail:
            return Refusal(field, detail, english=True)
    return Refusal("method", detail, english=True)
