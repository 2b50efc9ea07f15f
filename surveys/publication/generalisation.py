"""k-anonymity of the published rows.

Every combination of quasi-identifiers (agency, complaint type, borough,
channel, language, outcome, resolution description and version) published must
be shared by at least k rows. A smaller group has its least telling attributes
replaced by "suppressed", one more at a time, until the rows left over at that
step form groups of k or more; rows still in smaller groups once every
generalisable attribute is gone are withheld, and the release says how many.
Agency and channel are never generalised: the delivery funnel publishes them,
so a generalised value could be read back by comparing the two.

The work is on the month's distinct combinations with their counts (a few
thousand), never on the rows, so it costs nothing next to reading them.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from surveys.publication.rows import QUASI_IDENTIFIERS

SUPPRESSED = "suppressed"

# Generalised first to last; each step also keeps the ones before it.
HIERARCHY = (
    ("language",),
    ("borough",),
    ("resolution_description_id", "resolution_description_version"),
    ("complaint_type",),
    ("outcome",),
)

Combination = tuple


@dataclass
class Generalisation:
    published: dict[Combination, Combination]
    rows_generalised: int
    rows_withheld: int


def _generalised(combination: Combination, step: int) -> Combination:
    hidden = {
        QUASI_IDENTIFIERS.index(name)
        for attributes in HIERARCHY[:step]
        for name in attributes
    }
    return tuple(
        SUPPRESSED if index in hidden else value
        for index, value in enumerate(combination)
    )


def generalise(counts: Mapping[Combination, int], *, k: int) -> Generalisation:
    """What each combination is published as; combinations left out are withheld."""
    pending = dict(counts)
    published: dict[Combination, Combination] = {}
    generalised = 0
    for step in range(len(HIERARCHY) + 1):
        groups: Counter[Combination] = Counter()
        for combination, count in pending.items():
            groups[_generalised(combination, step)] += count
        for combination in list(pending):
            label = _generalised(combination, step)
            if groups[label] >= k:
                published[combination] = label
                if step:
                    generalised += pending[combination]
                del pending[combination]
    return Generalisation(
        published=published,
        rows_generalised=generalised,
        rows_withheld=sum(pending.values()),
    )
