"""Words for the codes the pages show: phases, methods, organisation types, attributes.

Message ids, marked with ``N_``; the templates translate them (``_(phase_names[phase])``).
"""

from __future__ import annotations

from collections.abc import Mapping

from policies import rules as r
from policies.campaigns import CampaignPhase
from policies.phases import Phase
from web.errors import N_

ROUND_PHASES: Mapping[str, str] = {
    Phase.DRAFT: N_("Draft"),
    Phase.PUBLISHED: N_("Published, not open yet"),
    Phase.NOMINATIONS_OPEN: N_("Nominations open"),
    Phase.NOMINATIONS_CLOSED: N_("Nominations closed"),
    Phase.VOTING_OPEN: N_("Voting open"),
    Phase.VOTING_CLOSED: N_("Voting closed"),
    Phase.COUNTING: N_("Counting"),
    Phase.DECIDED: N_("Decided"),
    Phase.CANCELLED: N_("Cancelled"),
}

CAMPAIGN_PHASES: Mapping[str, str] = {
    CampaignPhase.DRAFT: N_("Draft"),
    CampaignPhase.PUBLISHED: N_("Published, not open yet"),
    CampaignPhase.OPEN: N_("Open for signatures"),
    CampaignPhase.CLOSED: N_("Closed, list being published"),
    CampaignPhase.CONCLUDED: N_("Closed, list published"),
}

# What the next deadline of a round is, by its phase.
ROUND_DEADLINES: Mapping[str, tuple[str, str]] = {
    Phase.PUBLISHED: ("nominations_open_at", N_("Nominations open")),
    Phase.NOMINATIONS_OPEN: ("nominations_close_at", N_("Nominations close")),
    Phase.NOMINATIONS_CLOSED: ("voting_open_at", N_("Voting opens")),
    Phase.VOTING_OPEN: ("voting_close_at", N_("Voting closes")),
}

CAMPAIGN_DEADLINES: Mapping[str, tuple[str, str]] = {
    CampaignPhase.PUBLISHED: ("opens_at", N_("Signing opens")),
    CampaignPhase.OPEN: ("closes_at", N_("Signing closes")),
}

METHODS: Mapping[str, str] = {
    r.APPROVAL_PHRAGMEN: N_(
        "Approval vote counted by sequential Phragmén: each member approves the candidates it "
        "supports, and seats are filled one by one so that the load of electing them is shared "
        "as evenly as possible among the members who approved them."
    ),
    r.APPROVAL_EQUAL_SHARES: N_(
        "Approval vote counted by the Method of Equal Shares: each member gets an equal share "
        "of the seats, and spends it on the candidates it approves."
    ),
    r.APPROVAL_PAV: N_(
        "Approval vote counted by Proportional Approval Voting: the panel chosen is the one that "
        "best satisfies the members, where a member's second approved winner counts half as "
        "much as its first, the third a third, and so on."
    ),
    r.RANKED_STV: N_(
        "Ranked vote counted by the single transferable vote (Scottish rules): each member ranks "
        "candidates in order of preference; votes a candidate does not need pass to the next "
        "preference."
    ),
    r.LOTTERY_UNIFORM: N_(
        "Lottery: the panel is drawn at random, every panel that meets the balance rules being "
        "equally likely, from a seed anyone can recompute."
    ),
    r.LOTTERY_MAXIMIN: N_(
        "Lottery that gives every eligible candidate as equal a chance as the balance rules "
        "allow (maximin), drawn from a seed anyone can recompute."
    ),
    r.DESIGNATION: N_(
        "Designation: the constituency's coordinators agree on the representatives, and enough "
        "of them must approve the same decision."
    ),
}

ORGANISATION_TYPES: Mapping[str, str] = {
    "ngo": N_("Non-governmental organisation"),
    "trade_union": N_("Trade union"),
    "network": N_("Network"),
    "community_group": N_("Community group"),
    "faith_based": N_("Faith-based organisation"),
    "academic": N_("Academic institution"),
    "other": N_("Other"),
}

ATTRIBUTES: Mapping[str, str] = {
    "gender": N_("gender"),
    "region": N_("region"),
    "country": N_("country"),
    "type": N_("type of organisation"),
    "migrant_led": N_("migrant-led organisation"),
    "grassroots": N_("grassroots organisation"),
}

SIGNATURE_STATES: Mapping[str, str] = {
    "pending": N_("Waiting for the code"),
    "confirmed": N_("Confirmed"),
    "withdrawn": N_("Withdrawn"),
    "lapsed": N_("Lapsed"),
}

# What a count's score measures (policies/count_sheet.py), and the step values it shows.
SCORE_LABELS: Mapping[str, str] = {
    "load": N_("load on its voters"),
    "price per voter": N_("price per voter"),
    "PAV score added": N_("score added"),
    "votes when elected": N_("votes when elected"),
    "chance of selection": N_("chance of selection"),
}
STEP_VALUES: Mapping[str, str] = {
    "load": N_("load"),
    "value": N_("price"),
    "contribution": N_("score added"),
    "budget_per_voter": N_("budget per voter"),
}
