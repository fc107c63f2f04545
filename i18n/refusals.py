"""A refusal (a DomainError) said in a reader's language.

A refusal raised with a marked message (``N_``) is said whole in the language, its specifics
filled in. One raised with a plain English sentence is said as its code's summary in the
language, followed by the English sentence, marked as English: the specifics are never lost.
In English, the detail is the one the code wrote.
"""

from __future__ import annotations

from types import MappingProxyType

from i18n.catalogs import Catalogs
from i18n.languages import DEFAULT
from policies.errors import DomainError
from policies.messages import N_, Message, render

# By code; a code not listed is summed up by its nearest parent class's.
SUMMARIES = MappingProxyType(
    {
        "domain_error": N_("The request was refused."),
        "not_found": N_("Nothing was found with that id, or nothing this caller may see."),
        "unauthenticated": N_("This needs a valid bearer token."),
        "forbidden": N_("The token's role or constituency may not do this."),
        "invalid_input": N_("The request cannot be accepted as it is."),
        "invalid_schedule": N_("The schedule is not valid."),
        "idempotency_key_reused": N_("This Idempotency-Key was used for another request."),
        "wrong_code": N_("The confirmation code does not match."),
        "unknown_region": N_("The region is not in the published region list."),
        "unknown_country": N_("The country is not an ISO 3166-1 code in use."),
        "invalid_region_list": N_("The region list is not valid."),
        "invalid_rules": N_("The rules are not valid."),
        "infeasible_rules": N_("No committee could ever meet these rules."),
        "invalid_ballot": N_("The ballot is not valid."),
        "invalid_decision": N_("The decision is not valid."),
        "invalid_secret": N_("The secret is not valid."),
        "reveal_mismatch": N_("The revealed secret does not match its commitment."),
        "beacon_invalid": N_("The beacon value does not verify."),
        "beacon_wrong_round": N_("The beacon value is not the round the rules name."),
        "conflict": N_("The current state does not allow this."),
        "already_exists": N_("This exists already."),
        "already_signed": N_("This organisation has already signed this campaign."),
        "duplicate_organisation": N_(
            "An organisation with this name and country is registered already."
        ),
        "wrong_phase": N_("This cannot be done at this stage."),
        "phase_closed": N_("The deadline for this has passed."),
        "invalid_extension": N_("This deadline cannot be extended so."),
        "idempotency_in_progress": N_("A request with this Idempotency-Key is still running."),
        "statement_changed": N_("The statement has changed since it was read."),
        "code_unusable": N_("This confirmation code can no longer be used."),
        "signature_state": N_("The signature's state does not allow this."),
        "region_in_use": N_("Organisations still have a region this would remove."),
        "ambiguous_organisation": N_(
            "More than one registered organisation has this name and country."
        ),
        "not_erasable": N_("These personal data cannot be erased in this state."),
        "already_erased": N_("These personal data were erased already."),
        "service_unavailable": N_(
            "A service this needs cannot be reached right now; nothing was changed. "
            "Try again shortly."
        ),
        "record_invalid": N_("A record, signature or log entry does not verify."),
        "not_canonicalizable": N_("The data cannot be put in canonical JSON."),
        "bad_signature": N_("A signature does not verify."),
        "broken_chain": N_("The chain of entries is broken."),
        "count_time_limit": N_("The count did not finish within the time limit set in the rules."),
        "rate_limited": N_("Too many requests; try again later."),
        "mail_budget_spent": N_("Too many confirmation mails for now; try again later."),
    }
)
IN_ENGLISH = N_("%(summary)s In English: %(detail)s")


def summary(exc: DomainError) -> Message:
    for cls in type(exc).__mro__:
        found = SUMMARIES.get(getattr(cls, "code", ""))
        if found is not None:
            return found
    return SUMMARIES["domain_error"]


def detail(exc: DomainError, lang: str, catalogs: Catalogs) -> str:
    """What the refusal says, in ``lang``."""
    if lang == DEFAULT:
        return exc.detail
    translator = catalogs[lang]
    said = exc.detail_in(translator)
    if said is not None:
        return said
    return render(IN_ENGLISH, {"summary": summary(exc), "detail": exc.detail}, translator)
