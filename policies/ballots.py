"""What a valid ballot looks like under a constituency's rules: each method declares its shape."""

from __future__ import annotations

from collections.abc import Sequence

from policies.errors import InvalidInput
from policies.messages import N_
from policies.rules import APPROVAL, RANKING, SelectionRules, ballot_shape


class InvalidBallot(InvalidInput):
    code = "invalid_ballot"


def check_ballot(
    approvals: Sequence[str] | None,
    ranking: Sequence[str] | None,
    standing: Sequence[str],
    rules: SelectionRules,
) -> tuple[str, list[str]]:
    """The ballot's shape and its content (approvals sorted, a ranking as given).

    Exactly one of ``approvals`` and ``ranking`` is given, the one the method counts.
    """
    shape = ballot_shape(rules.method)
    if shape == APPROVAL:
        if ranking is not None or approvals is None:
            raise InvalidBallot(
                N_(
                    "%(method)s counts approval ballots: send approvals (a set of candidate ids), "
                    "not a ranking"
                ),
                method=rules.method,
            )
        return APPROVAL, check_approval_ballot(approvals, standing, rules)
    if shape == RANKING:
        if approvals is not None or ranking is None:
            raise InvalidBallot(
                N_(
                    "%(method)s counts ranked ballots: send a ranking (candidate ids, first "
                    "preference first), not approvals"
                ),
                method=rules.method,
            )
        return RANKING, check_ranking(ranking, standing, rules)
    raise InvalidBallot(
        N_("this selection is by %(method)s: nobody casts a ballot in it"), method=rules.method
    )


def check_approval_ballot(
    approvals: Sequence[str], standing: Sequence[str], rules: SelectionRules
) -> list[str]:
    """The ballot's approvals, sorted; InvalidBallot saying what is wrong otherwise."""
    if len(set(approvals)) != len(approvals):
        raise InvalidBallot(N_("an approval ballot names each candidate at most once"))
    _known(approvals, standing)
    if rules.max_approvals is not None and len(approvals) > rules.max_approvals:
        raise InvalidBallot(
            N_("a ballot may approve at most %(max_approvals)s candidates, got %(n_approvals)s"),
            max_approvals=rules.max_approvals,
            n_approvals=len(approvals),
        )
    return sorted(approvals)


def check_ranking(
    ranking: Sequence[str], standing: Sequence[str], rules: SelectionRules
) -> list[str]:
    """The ranking as given; InvalidBallot saying what is wrong otherwise."""
    if not ranking:
        raise InvalidBallot(N_("a ranking names at least one candidate"))
    repeated = sorted({c for c in ranking if ranking.count(c) > 1})
    if repeated:
        raise InvalidBallot(
            N_(
                "a ranking names each candidate once (no ties, no repeats), got twice: %(repeated)s"
            ),
            repeated=", ".join(repeated),
        )
    _known(ranking, standing)
    if rules.max_ranks is not None and len(ranking) > rules.max_ranks:
        raise InvalidBallot(
            N_("a ranking may list at most %(max_ranks)s candidates, got %(n_ranking)s"),
            max_ranks=rules.max_ranks,
            n_ranking=len(ranking),
        )
    return list(ranking)


def _known(named: Sequence[str], standing: Sequence[str]) -> None:
    unknown = sorted(set(named) - set(standing))
    if unknown:
        raise InvalidBallot(
            N_("not on the candidate list: %(unknown)s; standing: %(standing)s"),
            unknown=", ".join(unknown),
            standing=", ".join(sorted(standing)) or N_("nobody"),
        )
