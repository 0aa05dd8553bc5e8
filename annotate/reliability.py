"""Agreement coefficients for nominal labels, with missing data, computed sparsely.

Every function takes *profiles*: a mapping from a tuple of values, one per coder
(None where that coder gave no value), to how many units have exactly that
profile. Collapsing units into profiles is what makes a million labels cheap:
five coders and four labels have at most 5**5 distinct profiles, whatever the
number of units. `profile_counts` builds the mapping from plain rows.

- `krippendorff_alpha`: nominal alpha from a sparse coincidence matrix (a dict
  keyed by value pair, never a dense units × values² array), missing data allowed
  (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability").
- `cohen_kappa`: Cohen (1960) for one pair of coders, over the units both coded.
- `fleiss_kappa`: Fleiss (1971), over the units every coder coded.
- `specific_agreement`: per value, agreeing pairs over all pairs involving the
  value (Uebersax's specific agreement for several raters; 2a/(2a+b+c) for two).
- `percent_agreement`: the mean, over units with two or more values, of the
  share of coder pairs that agree.

A coefficient that is undefined (no units, or every value the same so that the
expected disagreement is zero) is a `Coefficient` whose `value` is None and whose
`note` says why: never NaN, never a ZeroDivisionError.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations, compress
from typing import Any

Value = Hashable
Profile = tuple[Any, ...]
Profiles = Mapping[tuple[Any, ...], int]


@dataclass(frozen=True)
class Coefficient:
    """A computed coefficient, or None with the reason it is undefined."""

    value: float | None
    note: str | None = None

    def rounded(self, digits: int = 4) -> float | None:
        """The value rounded for reports (None stays None)."""
        return None if self.value is None else round(self.value, digits)


def profile_counts(rows: Iterable[Sequence[Value | None]]) -> Counter[Profile]:
    """Profiles from rows of values, one row per unit (None for a missing value)."""
    return Counter(map(tuple, rows))


def _values(profile: Profile) -> list[Value]:
    return [value for value in profile if value is not None]


def coincidences(profiles: Profiles) -> dict[tuple[Value, Value], float]:
    """The sparse coincidence matrix: o[(c, k)] over units with two or more values.

    Each unit with m values contributes n_c * n_k / (m - 1) to (c, k) and
    n_c * (n_c - 1) / (m - 1) to (c, c), where n_c counts value c in the unit.
    """
    matrix: dict[tuple[Value, Value], float] = {}
    for profile, weight in profiles.items():
        values = _values(profile)
        m = len(values)
        if m < 2:
            continue
        counts = Counter(values)
        scale = weight / (m - 1)
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                pairs = n_c * (n_c - 1) if c == k else n_c * n_k
                if pairs:
                    matrix[(c, k)] = matrix.get((c, k), 0.0) + pairs * scale
    return matrix


@dataclass
class NominalSummary:
    """One pass over the profiles: everything alpha and percent agreement need.

    `units`: units with two or more values; `n`: pairable values; `diagonal`:
    sum of o_cc; `marginals`: n_c; `agreeing`: sum over units of the share of
    agreeing coder pairs.
    """

    units: int = 0
    n: float = 0.0
    diagonal: float = 0.0
    marginals: dict[Any, float] | None = None
    agreeing: float = 0.0

    def alpha(self) -> Coefficient:
        """Krippendorff's alpha (nominal) from the sums."""
        if self.n == 0:
            return Coefficient(None, "no unit has two or more values")
        expected = self.n * self.n - sum(n_c * n_c for n_c in (self.marginals or {}).values())
        if expected <= 0:
            return Coefficient(None, "every value is the same, so no disagreement is expected (alpha is 0/0)")
        return Coefficient(1.0 - (self.n - 1.0) * (self.n - self.diagonal) / expected)

    def percent_agreement(self) -> Coefficient:
        """Mean share of agreeing pairs per unit."""
        if not self.units:
            return Coefficient(None, "no unit has two or more values")
        return Coefficient(self.agreeing / self.units)


def nominal_summary(profiles: Profiles) -> NominalSummary:
    """Sums for alpha and percent agreement in one pass (see NominalSummary)."""
    units = 0
    n = 0.0
    diagonal = 0.0
    agreeing = 0.0
    marginals: dict[Any, float] = {}
    for profile, weight in profiles.items():
        values = [value for value in profile if value is not None]
        m = len(values)
        if m < 2:
            continue
        units += weight
        n += weight * m
        first = values[0]
        if values.count(first) == m:  # unanimous: the common case, kept cheap
            diagonal += weight * m
            agreeing += weight
            marginals[first] = marginals.get(first, 0.0) + weight * m
            continue
        pairs = 0
        for value in set(values):
            count = values.count(value)
            pairs += count * (count - 1)
            marginals[value] = marginals.get(value, 0.0) + weight * count
        diagonal += weight * pairs / (m - 1)
        agreeing += weight * pairs / (m * (m - 1))
    return NominalSummary(units, n, diagonal, marginals, agreeing)


def grouped_summaries(
    columns: Sequence[Sequence[int | None]], runs: Sequence[tuple[int, int]]
) -> list[NominalSummary | None]:
    """NominalSummary per group of units (None for a group without a unit of two or more values).

    `columns` hold integer-coded values, one column per coder aligned by unit
    (None is missing); group g is the run of units `runs[g] = (start, stop)`.
    The sums are those of `nominal_summary`, computed column-wise in C-level
    passes (map, zip, Counter), so free-text values such as sources (coded as
    ints) cost no Python work per unit.
    """
    coders = len(columns)
    summaries: list[NominalSummary | None] = [None] * len(runs)
    if coders < 2 or not runs:
        return summaries
    coded: list[list[int]] = []
    for i, column in enumerate(columns):
        # Missing becomes -1 for the first coder, -2 for the second...: never equal across coders.
        # dict.get(value, value) gives the marker for None and the value itself otherwise, in C.
        missing: Callable[[int | None, int | None], int] = {None: -(i + 1)}.get  # type: ignore[assignment]
        coded.append(list(map(missing, column, column)))
    counts = list(map(sum, zip(*(map((-1).__lt__, column) for column in coded), strict=True)))
    agreeing = [map(operator.eq, coded[i], coded[j]) for i, j in combinations(range(coders), 2)]
    pairs = list(map(sum, zip(*agreeing, strict=True)))
    pairable = list(map((1).__lt__, counts))
    for group, (start, stop) in enumerate(runs):
        summary = NominalSummary(marginals={})
        for (m, agreeing_pairs), weight in Counter(
            zip(counts[start:stop], pairs[start:stop], strict=True)
        ).items():
            if m < 2:
                continue
            summary.units += weight
            summary.n += weight * m
            summary.diagonal += weight * 2 * agreeing_pairs / (m - 1)
            summary.agreeing += weight * 2 * agreeing_pairs / (m * (m - 1))
        if not summary.units:
            continue
        marginals: Counter[int] = Counter()
        wanted = pairable[start:stop]
        for column in coded:
            marginals.update(compress(column[start:stop], wanted))
        summary.marginals = {value: float(count) for value, count in marginals.items() if value >= 0}
        summaries[group] = summary
    return summaries


def krippendorff_alpha(profiles: Profiles) -> Coefficient:
    """Krippendorff's alpha for nominal data, missing values allowed.

    alpha = 1 - D_o / D_e = 1 - (n - 1) * (n - sum_c o_cc) / (n**2 - sum_c n_c**2),
    with n the number of pairable values (those in units with two or more).
    """
    return nominal_summary(profiles).alpha()


def percent_agreement(profiles: Profiles) -> Coefficient:
    """Mean share of agreeing coder pairs per unit, over units with two or more values."""
    return nominal_summary(profiles).percent_agreement()


def specific_agreement(profiles: Profiles) -> dict[Value, Coefficient]:
    """Per value: agreeing pairs on it over all pairs that involve it.

    p_s(c) = sum_u n_uc (n_uc - 1) / sum_u n_uc (m_u - 1); for two coders this is
    the familiar 2a / (2a + b + c).
    """
    agreeing: dict[Value, float] = {}
    involved: dict[Value, float] = {}
    for profile, weight in profiles.items():
        values = _values(profile)
        m = len(values)
        if m < 2:
            continue
        for value, count in Counter(values).items():
            agreeing[value] = agreeing.get(value, 0.0) + weight * count * (count - 1)
            involved[value] = involved.get(value, 0.0) + weight * count * (m - 1)
    return {value: Coefficient(agreeing[value] / involved[value]) for value in involved if involved[value]}


def confusion(profiles: Profiles, first: int, second: int) -> Counter[tuple[Any, Any]]:
    """Counts of (value of coder `first`, value of coder `second`) over units both coded."""
    table: Counter[tuple[Any, Any]] = Counter()
    for profile, weight in profiles.items():
        a, b = profile[first], profile[second]
        if a is not None and b is not None:
            table[(a, b)] += weight
    return table


def cohen_kappa(profiles: Profiles, first: int, second: int) -> Coefficient:
    """Cohen's kappa between coders `first` and `second`, over the units both coded."""
    return kappa_from_confusion(confusion(profiles, first, second))


def kappa_from_confusion(table: Mapping[tuple[Value, Value], int]) -> Coefficient:
    """Cohen's kappa from a confusion table {(a_value, b_value): count}."""
    total = sum(table.values())
    if not total:
        return Coefficient(None, "the two coders have no unit in common")
    observed = sum(count for (a, b), count in table.items() if a == b) / total
    rows: Counter[Value] = Counter()
    columns: Counter[Value] = Counter()
    for (a, b), count in table.items():
        rows[a] += count
        columns[b] += count
    expected = sum(rows[value] * columns[value] for value in rows) / (total * total)
    if expected >= 1.0:
        return Coefficient(None, "both coders gave one and the same value throughout (kappa is 0/0)")
    return Coefficient((observed - expected) / (1.0 - expected))


def fleiss_kappa(profiles: Profiles) -> Coefficient:
    """Fleiss' kappa over the units that every coder coded (complete profiles only)."""
    units = 0
    raters = 0
    agreement = 0.0
    totals: Counter[Value] = Counter()
    for profile, weight in profiles.items():
        if None in profile:
            continue
        n = len(profile)
        raters = n
        counts = Counter(profile)
        if n >= 2:
            agreement += weight * sum(c * (c - 1) for c in counts.values()) / (n * (n - 1))
        for value, count in counts.items():
            totals[value] += weight * count
        units += weight
    if not units:
        return Coefficient(None, "no unit was coded by every coder")
    if raters < 2:
        return Coefficient(None, "Fleiss' kappa needs two or more coders")
    mean_agreement = agreement / units
    expected = sum((count / (units * raters)) ** 2 for count in totals.values())
    if expected >= 1.0:
        return Coefficient(None, "every coder gave one and the same value throughout (kappa is 0/0)")
    return Coefficient((mean_agreement - expected) / (1.0 - expected))
