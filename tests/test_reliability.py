"""Agreement coefficients: published worked examples, degenerate cases, and reference libraries."""

from __future__ import annotations

import math
import random

import pytest

from annotate.reliability import (
    cohen_kappa,
    coincidences,
    fleiss_kappa,
    krippendorff_alpha,
    percent_agreement,
    profile_counts,
    specific_agreement,
)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
# nominal data, 4 observers, 12 units, missing values. Published alpha = 0.743.
KRIPPENDORFF_2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}

# Fleiss (1971) as worked on Wikipedia's "Fleiss' kappa": 10 subjects, 14 raters,
# 5 categories; rows are how many raters chose each category. Published 0.210.
FLEISS_TABLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def _units_from_coders(coders: dict[str, list[int | None]]) -> list[tuple[int | None, ...]]:
    return list(zip(*coders.values(), strict=True))


def test_krippendorff_2011_nominal_example_with_missing_data() -> None:
    alpha = krippendorff_alpha(profile_counts(_units_from_coders(KRIPPENDORFF_2011)))
    assert alpha.value is not None and round(alpha.value, 3) == 0.743


def test_krippendorff_2011_coincidence_matrix_matches_the_paper() -> None:
    # The paper's coincidence matrix (checked by hand): diagonal 7, 10, 8, 4, 3,
    # marginals 9, 13, 10, 5, 3, and n = 40 pairable values (unit 12 has one
    # value and drops out); o_12 = 4/3 (unit 8 gives 1, unit 6 gives 1/3).
    matrix = coincidences(profile_counts(_units_from_coders(KRIPPENDORFF_2011)))
    assert [round(matrix.get((value, value), 0.0), 3) for value in range(1, 6)] == [7, 10, 8, 4, 3]
    marginals = [round(sum(v for (c, _), v in matrix.items() if c == value), 6) for value in range(1, 6)]
    assert marginals == [9, 13, 10, 5, 3]
    assert round(sum(matrix.values()), 6) == 40
    assert round(matrix[(1, 2)], 3) == round(4 / 3, 3)


def test_cohen_kappa_wikipedia_example() -> None:
    # Wikipedia "Cohen's kappa": 50 grant proposals; both yes 20, A yes B no 5,
    # A no B yes 10, both no 15. p_o = 0.7, p_e = 0.5, kappa = 0.4.
    rows = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    kappa = cohen_kappa(profile_counts(rows), 0, 1)
    assert kappa.value is not None and round(kappa.value, 3) == 0.400


def test_fleiss_kappa_fleiss_1971_wikipedia_example() -> None:
    rows = [
        tuple(category for category, count in enumerate(row) for _ in range(count)) for row in FLEISS_TABLE
    ]
    kappa = fleiss_kappa(profile_counts(rows))
    assert kappa.value is not None and round(kappa.value, 3) == 0.210


def test_specific_agreement_two_coders_is_2a_over_2a_b_c() -> None:
    rows = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    specific = specific_agreement(profile_counts(rows))
    assert specific["yes"].value == pytest.approx(40 / 55)
    assert specific["no"].value == pytest.approx(30 / 45)


def test_undefined_coefficients_are_none_with_a_note_never_nan() -> None:
    same = profile_counts([("a", "a", "a")] * 4)
    for coefficient in (krippendorff_alpha(same), cohen_kappa(same, 0, 1), fleiss_kappa(same)):
        assert coefficient.value is None and coefficient.note
    assert percent_agreement(same).value == 1.0
    nothing = profile_counts([("a", None), (None, "b")])
    for coefficient in (krippendorff_alpha(nothing), cohen_kappa(nothing, 0, 1), fleiss_kappa(nothing)):
        assert coefficient.value is None and coefficient.note
    assert percent_agreement(profile_counts([])).value is None


def _random_coders(
    rng: random.Random, coders: int, units: int, values: int, missing: float
) -> list[list[int | None]]:
    data = [[rng.randrange(values) for _ in range(units)] for _ in range(coders)]
    truth = [rng.randrange(values) for _ in range(units)]
    for row in data:
        for index in range(units):
            if rng.random() < 0.6:
                row[index] = truth[index]  # some real agreement, so alpha is not ~0
            if rng.random() < missing:
                row[index] = None  # type: ignore[call-overload]
    return data  # type: ignore[return-value]


@pytest.mark.parametrize("seed", range(12))
def test_alpha_matches_the_krippendorff_package_with_missing_data(seed: int) -> None:
    krippendorff = pytest.importorskip("krippendorff")
    np = pytest.importorskip("numpy")
    rng = random.Random(seed)
    data = _random_coders(rng, rng.randint(2, 6), rng.randint(5, 60), rng.randint(2, 6), 0.3)
    ours = krippendorff_alpha(profile_counts(zip(*data, strict=True)))
    matrix = np.array([[math.nan if v is None else v for v in row] for row in data], dtype=float)
    try:
        theirs = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    except ValueError:
        assert ours.value is None  # the package refuses the same degenerate data
        return
    if math.isnan(theirs):
        assert ours.value is None
    else:
        assert ours.value == pytest.approx(theirs, abs=1e-9)


@pytest.mark.parametrize("seed", range(12))
def test_alpha_matches_nltk_with_missing_data(seed: int) -> None:
    agreement = pytest.importorskip("nltk.metrics.agreement")
    rng = random.Random(100 + seed)
    data = _random_coders(rng, rng.randint(2, 5), rng.randint(5, 40), rng.randint(2, 5), 0.3)
    triples = [
        (f"c{c}", f"u{u}", v) for c, row in enumerate(data) for u, v in enumerate(row) if v is not None
    ]
    ours = krippendorff_alpha(profile_counts(zip(*data, strict=True)))
    task = agreement.AnnotationTask(triples)
    pairable = {
        v for u in zip(*data, strict=True) if sum(x is not None for x in u) >= 2 for v in u if v is not None
    }
    if len(pairable) < 2:
        assert ours.value is None  # nltk returns 1 here by convention; we say it is undefined
        return
    assert ours.value == pytest.approx(task.alpha(), abs=1e-9)


@pytest.mark.parametrize("seed", range(8))
def test_kappas_match_nltk_on_the_units_every_coder_labelled(seed: int) -> None:
    # nltk's kappa_pairwise is Cohen (1960) and pi() is Fleiss' multi-pi (Siegel and
    # Castellan's K), both for complete data: compare on the complete units only.
    # (nltk's multi_kappa is Davies and Fleiss 1982, a different coefficient.)
    agreement = pytest.importorskip("nltk.metrics.agreement")
    rng = random.Random(200 + seed)
    coders = rng.randint(2, 5)
    data = _random_coders(rng, coders, rng.randint(20, 60), rng.randint(2, 4), 0.15)
    units = list(zip(*data, strict=True))
    profiles = profile_counts(units)
    complete = [unit for unit in units if None not in unit]
    triples = [(f"c{c}", f"u{u}", v) for u, unit in enumerate(complete) for c, v in enumerate(unit)]
    task = agreement.AnnotationTask(triples)
    if len({v for unit in complete for v in unit}) < 2:
        assert fleiss_kappa(profiles).value is None
        return
    assert fleiss_kappa(profiles).value == pytest.approx(task.pi(), abs=1e-9)
    for first in range(coders):
        for second in range(first + 1, coders):
            pair = [
                (unit[first], unit[second])
                for unit in units
                if unit[first] is not None and unit[second] is not None
            ]
            pair_task = agreement.AnnotationTask(
                [(c, f"u{u}", v) for u, values in enumerate(pair) for c, v in zip("ab", values, strict=True)]
            )
            ours = cohen_kappa(profiles, first, second)
            if ours.value is None:
                continue
            assert ours.value == pytest.approx(pair_task.kappa_pairwise("a", "b"), abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_column_wise_sums_equal_the_profile_sums(seed: int) -> None:
    # The fast column-wise path (per article, sources) must give the profile path's figures.
    from annotate.reliability import grouped_summaries, nominal_summary

    rng = random.Random(300 + seed)
    data = _random_coders(rng, rng.randint(2, 6), 120, rng.randint(2, 9), 0.35)
    runs = [(0, 40), (40, 41), (41, 120)]
    summaries = grouped_summaries(data, runs)
    for (start, stop), summary in zip(runs, summaries, strict=True):
        expected = nominal_summary(profile_counts(zip(*(row[start:stop] for row in data), strict=True)))
        if summary is None:
            assert expected.units == 0
            continue
        assert summary.units == expected.units
        assert summary.alpha().value == pytest.approx(expected.alpha().value)
        assert summary.percent_agreement().value == pytest.approx(expected.percent_agreement().value)
        assert summary.marginals == pytest.approx(expected.marginals)
