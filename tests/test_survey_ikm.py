"""The IKM of PermenPANRB 14/2017, checked against numbers worked out by hand."""

from decimal import Decimal
from fractions import Fraction

import pytest

from services.survey import ELEMENTS, grade_for, ikm, round_ikm


def test_the_nine_elements_are_in_the_regulations_order_with_four_answers_each():
    assert [e.label for e in ELEMENTS] == [
        "Persyaratan",
        "Sistem, mekanisme dan prosedur",
        "Waktu penyelesaian",
        "Biaya/tarif",
        "Produk spesifikasi jenis pelayanan",
        "Kompetensi pelaksana",
        "Perilaku pelaksana",
        "Penanganan pengaduan, saran dan masukan",
        "Sarana dan prasarana",
    ]
    assert ELEMENTS[0].answers == ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai")
    assert all(len(e.answers) == 4 for e in ELEMENTS)


def test_a_worked_example_of_four_respondents():
    rows = [
        (4, 3, 3, 4, 3, 3, 4, 2, 3),
        (3, 3, 2, 4, 3, 4, 4, 3, 3),
        (4, 4, 3, 4, 4, 3, 3, 2, 2),
        (3, 2, 2, 4, 3, 3, 4, 3, 3),
    ]
    # By hand: element sums 14, 12, 10, 16, 13, 13, 15, 10, 11 (total 114); NRR = sum ÷ 4:
    # 3.50, 3.00, 2.50, 4.00, 3.25, 3.25, 3.75, 2.50, 2.75 (Σ NRR = 28.50);
    # IKM = 28.50 × 1/9 × 25 = 79.1666… → 79.17 → B (76.61–88.30).
    result = ikm(rows)

    assert result.n == 4
    assert result.nrr == [3.5, 3.0, 2.5, 4.0, 3.25, 3.25, 3.75, 2.5, 2.75]
    assert result.ikm == pytest.approx(79.1666666667)
    assert result.exact == Fraction(2850, 36)
    assert result.ikm_rounded == Decimal("79.17")
    assert result.grade == "B"
    assert result.grade_label == "Baik"


def test_exactly_one_ninth_is_used_not_0_111():
    # All answers 4: Σ NRR = 36, IKM = 36 × 1/9 × 25 = 100 exactly (with 0.111 it would be 99.9).
    result = ikm([(4,) * 9] * 3)
    assert result.ikm == 100.0 and result.grade == "A"
    assert ikm([(1,) * 9]).ikm == 25.0 and ikm([(1,) * 9]).grade == "D"


def rows_with_total(n: int, total: int) -> list[tuple[int, ...]]:
    """``n`` respondents whose 9n answers add up to ``total`` (answers spread 1–4)."""
    answers = [1] * (9 * n)
    extra = total - 9 * n
    for i in range(len(answers)):
        step = min(3, extra)
        answers[i] += step
        extra -= step
    assert extra == 0
    return [tuple(answers[i * 9 : i * 9 + 9]) for i in range(n)]


# IKM = 25 × (sum of all answers) ÷ (9 × respondents). Each pair below was worked out by hand:
#   24 respondents, total 763: 25 × 763 / 216 = 88.3101… → 88.31 → A (lowest A)
#   19 respondents, total 604: 25 × 604 / 171 = 88.3040… → 88.30 → B (highest B)
#   19 respondents, total 524: 25 × 524 / 171 = 76.6081… → 76.61 → B (lowest B)
#   26 respondents, total 717: 25 × 717 / 234 = 76.6025… → 76.60 → C (highest C)
#    5 respondents, total 117: 25 × 117 / 45  = 65.0000  → 65.00 → C (lowest C)
#   38 respondents, total 889: 25 × 889 / 342 = 64.9853… → 64.99 → D (highest D)
EDGES = [
    (24, 763, "88.31", "A"),
    (19, 604, "88.30", "B"),
    (19, 524, "76.61", "B"),
    (26, 717, "76.60", "C"),
    (5, 117, "65.00", "C"),
    (38, 889, "64.99", "D"),
]


@pytest.mark.parametrize(("n", "total", "shown", "grade"), EDGES)
def test_the_grade_edges(n, total, shown, grade):
    result = ikm(rows_with_total(n, total))

    assert result.n == n
    assert result.exact == Fraction(25 * total, 9 * n)
    assert result.ikm_rounded == Decimal(shown)
    assert result.grade == grade


def test_a_value_between_the_published_edges_takes_the_grade_of_its_two_decimal_rounding():
    # The table has gaps (88.30 | 88.31): the unrounded IKM is rounded half up first.
    assert grade_for(Fraction(88305, 1000)) == "A"  # 88.305 → 88.31
    assert grade_for(Fraction(883049, 10000)) == "B"  # 88.3049 → 88.30
    assert grade_for(Fraction(766050, 10000)) == "B"  # 76.605 → 76.61
    assert grade_for(Fraction(766049, 10000)) == "C"
    assert grade_for(Fraction(64995, 1000)) == "C"  # 64.995 → 65.00
    assert grade_for(Fraction(649949, 10000)) == "D"
    # A float near an edge is read by its shortest repr, not its binary expansion.
    assert round_ikm(88.305) == Decimal("88.31")


def test_no_respondents_gives_no_ikm_and_no_grade():
    result = ikm([])
    assert (result.n, result.ikm, result.grade) == (0, None, "")


@pytest.mark.parametrize("row", [(4,) * 8, (0, 4, 4, 4, 4, 4, 4, 4, 4), (5,) * 9])
def test_a_malformed_response_is_refused(row):
    with pytest.raises(ValueError):
        ikm([row])
