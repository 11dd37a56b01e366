"""The instrument engine on its own: scoring, bands, skip and risk rules, files that don't hold."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from portal.instruments import DATA_DIR, Instrument, InstrumentError, load_dir, parse, registry

SHIPPED = registry()
PHQ9, GAD7, CSSRS, PSYCHOSOCIAL = (SHIPPED[c] for c in ("phq9", "gad7", "cssrs", "psychosocial"))
EXTRA_DIR = Path(__file__).resolve().parent / "extra"
NO, YES = 0, 1


def summing_to(instrument: Instrument, total: int) -> dict[str, int | None]:
    """Answers that add up to ``total``: the highest option on the first items, then the rest."""
    answers: dict[str, int | None] = {}
    left = total
    for item in instrument.items:
        top = max(o.value for o in item.options)
        answers[item.id] = min(top, left)
        left -= answers[item.id]
    assert left == 0, f"{instrument.code} cannot reach {total}"
    return answers


def test_the_shipped_instruments_are_the_four_files():
    assert set(SHIPPED) == {"phq9", "gad7", "cssrs", "psychosocial"}
    assert sorted(p.stem for p in DATA_DIR.glob("*.json")) == sorted(SHIPPED)


# --- PHQ-9 and GAD-7: sums and every band boundary ----------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_total_and_band_at_each_boundary(total, band):
    result = PHQ9.score(summing_to(PHQ9, total))
    assert result.total == total
    assert result.band is not None and result.band.code == band
    assert result.risk_level is None and result.needs == [] and result.skipped == []


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_total_and_band_at_each_boundary(total, band):
    result = GAD7.score(summing_to(GAD7, total))
    assert result.total == total
    assert result.band is not None and result.band.code == band


def test_band_labels_follow_the_locale():
    band = PHQ9.score(summing_to(PHQ9, 16)).band
    assert band is not None
    assert band.label("en") == "Moderately severe"
    assert band.label("es") == "Moderadamente grave"
    assert band.label("es_MX") == "Moderadamente grave"
    assert band.label("fr") == "Moderately severe"  # no French: English, not an error


def test_the_bands_cover_every_possible_total_once():
    for instrument in (PHQ9, GAD7):
        for total in range(instrument.max_score + 1):
            assert [b.low <= total <= b.high for b in instrument.bands].count(True) == 1


@pytest.mark.parametrize("item9", [0, 1, 2, 3])
@pytest.mark.parametrize("others", [0, 3])
def test_phq9_item_9_above_0_is_critical_and_nothing_else_is(item9, others):
    answers: dict[str, int | None] = {f"q{n}": others for n in range(1, 9)}
    answers["q9"] = item9
    result = PHQ9.score(answers)
    assert result.total == 8 * others + item9
    assert result.critical_items == (["q9"] if item9 > 0 else [])


def test_gad7_has_no_critical_item():
    assert GAD7.score(summing_to(GAD7, 21)).critical_items == []


def test_a_missing_item_is_listed_and_refused():
    answers = summing_to(PHQ9, 12)
    answers["q4"] = None
    del answers["q7"]
    assert PHQ9.missing(answers) == ["q4", "q7"]
    with pytest.raises(InstrumentError, match="q4, q7"):
        PHQ9.score(answers)
    assert PHQ9.missing({}) == [f"q{n}" for n in range(1, 10)]


# --- C-SSRS: every path through the skip rules, and the risk level of each ----------------


def cssrs(**answers: int) -> dict[str, int | None]:
    return dict(answers)


@pytest.mark.parametrize(
    ("answers", "risk", "critical", "skipped"),
    [
        # q2 "no": q3-q5 are not asked
        (cssrs(q1=NO, q2=NO, q6=NO), "none", [], ["q3", "q4", "q5", "q6_recent"]),
        (cssrs(q1=YES, q2=NO, q6=NO), "low", [], ["q3", "q4", "q5", "q6_recent"]),
        (cssrs(q1=NO, q2=NO, q6=YES, q6_recent=NO), "moderate", ["q6"], ["q3", "q4", "q5"]),
        (
            cssrs(q1=YES, q2=NO, q6=YES, q6_recent=YES),
            "high",
            ["q6", "q6_recent"],
            ["q3", "q4", "q5"],
        ),
        # q2 "yes": q3-q5 are asked
        (cssrs(q1=NO, q2=YES, q3=NO, q4=NO, q5=NO, q6=NO), "low", [], ["q6_recent"]),
        (cssrs(q1=YES, q2=YES, q3=NO, q4=NO, q5=NO, q6=NO), "low", [], ["q6_recent"]),
        (cssrs(q1=YES, q2=YES, q3=YES, q4=NO, q5=NO, q6=NO), "moderate", ["q3"], ["q6_recent"]),
        (cssrs(q1=YES, q2=YES, q3=NO, q4=YES, q5=NO, q6=NO), "high", ["q4"], ["q6_recent"]),
        (cssrs(q1=YES, q2=YES, q3=NO, q4=NO, q5=YES, q6=NO), "high", ["q5"], ["q6_recent"]),
        (
            cssrs(q1=YES, q2=YES, q3=YES, q4=NO, q5=NO, q6=YES, q6_recent=NO),
            "moderate",
            ["q3", "q6"],
            [],
        ),
        (
            cssrs(q1=YES, q2=YES, q3=YES, q4=YES, q5=YES, q6=YES, q6_recent=YES),
            "high",
            ["q3", "q4", "q5", "q6", "q6_recent"],
            [],
        ),
    ],
)
def test_cssrs_skip_paths_and_risk_levels(answers, risk, critical, skipped):
    assert CSSRS.missing(answers) == []
    result = CSSRS.score(answers)
    assert result.risk_level == risk
    assert result.critical_items == critical
    assert result.skipped == skipped
    assert result.total is None and result.band is None


def test_cssrs_answers_to_skipped_items_are_ignored():
    """A "yes" typed into q3-q5 after q2 "no" changes neither the risk nor the critical items."""
    answers = cssrs(q1=YES, q2=NO, q3=YES, q4=YES, q5=YES, q6=NO, q6_recent=YES)
    assert CSSRS.skipped_items(answers) == {"q3", "q4", "q5", "q6_recent"}
    assert [i.id for i in CSSRS.applicable_items(answers)] == ["q1", "q2", "q6"]
    result = CSSRS.score(answers)
    assert result.risk_level == "low"
    assert result.critical_items == []
    assert result.skipped == ["q3", "q4", "q5", "q6_recent"]


@pytest.mark.parametrize(
    ("answers", "missing"),
    [
        ({}, ["q1", "q2", "q3", "q4", "q5", "q6", "q6_recent"]),
        (cssrs(q1=NO, q2=NO), ["q6", "q6_recent"]),  # q6 not answered: q6_recent may apply
        (cssrs(q1=NO, q2=NO, q6=YES), ["q6_recent"]),
        (cssrs(q1=NO, q2=YES, q6=NO), ["q3", "q4", "q5"]),
        (cssrs(q1=NO, q2=YES, q3=NO, q4=NO, q5=NO, q6=YES), ["q6_recent"]),
        (cssrs(q2=NO, q6=NO), ["q1"]),
    ],
)
def test_cssrs_missing_applicable_items_are_listed_and_refused(answers, missing):
    assert CSSRS.missing(answers) == missing
    with pytest.raises(InstrumentError):
        CSSRS.score(answers)


@pytest.mark.parametrize("item", ["q3", "q4", "q5", "q6", "q6_recent"])
def test_cssrs_yes_on_items_3_to_6_is_critical(item):
    answers = cssrs(q1=YES, q2=YES, q3=NO, q4=NO, q5=NO, q6=NO, q6_recent=NO)
    answers[item] = YES
    if item == "q6_recent":
        answers["q6"] = YES
    assert item in CSSRS.score(answers).critical_items


def test_cssrs_yes_on_items_1_and_2_is_not_critical():
    answers = cssrs(q1=YES, q2=YES, q3=NO, q4=NO, q5=NO, q6=NO)
    assert CSSRS.score(answers).critical_items == []


# --- psychosocial needs ------------------------------------------------------------------


def test_psychosocial_needs_are_the_items_rated_2_or_more():
    answers: dict[str, int | None] = {item.id: 0 for item in PSYCHOSOCIAL.items}
    answers.update(housing=3, employment=2, income=1, legal=2)
    result = PSYCHOSOCIAL.score(answers)
    assert result.needs == ["housing", "employment", "legal"]
    assert result.total is None and result.band is None and result.risk_level is None
    assert result.critical_items == []


def test_psychosocial_with_no_need_lists_none():
    result = PSYCHOSOCIAL.score({item.id: 1 for item in PSYCHOSOCIAL.items})
    assert result.needs == []


# --- translations live in the data ------------------------------------------------------


@pytest.mark.parametrize("code", sorted(SHIPPED))
def test_every_shipped_instrument_is_in_english_and_spanish(code):
    instrument = SHIPPED[code]
    texts: list[tuple[str, Any, bool]] = [
        ("title", instrument.titles, True),
        ("instructions", instrument.instructions, True),
    ]
    for item in instrument.items:
        texts.append((f"item {item.id}", item.texts, True))
        texts += [(f"option {item.id}={o.value}", o.labels, False) for o in item.options]
    texts += [(f"band {b.code}", b.labels, False) for b in instrument.bands]
    for where, value, prose in texts:
        assert value.get("en", "").strip(), f"{code} {where}: no English"
        assert value.get("es", "").strip(), f"{code} {where}: no Spanish"
        if prose:  # a sentence copied unchanged is not a translation ("No" is, in both)
            assert value["es"] != value["en"], f"{code} {where}: Spanish is the English"


def test_instrument_text_comes_from_the_file_in_the_users_language():
    item = PHQ9.item("q1")
    assert item.text("es") == "Poco interés o placer en hacer cosas"
    assert item.text("en") == "Little interest or pleasure in doing things"
    assert item.option_label(3, "es") == "Casi todos los días"
    assert item.option_label(7, "es") == "—"
    assert CSSRS.title("es") == "C-SSRS, versión de detección (riesgo de suicidio)"


# --- files that do not hold together ----------------------------------------------------


def raw(code: str) -> dict[str, Any]:
    return json.loads((DATA_DIR / f"{code}.json").read_text(encoding="utf-8"))


def test_the_shipped_files_parse_to_what_the_registry_holds():
    for code, instrument in SHIPPED.items():
        assert parse(raw(code)) == instrument


def _broken(change) -> dict[str, Any]:
    data = copy.deepcopy(raw("cssrs"))
    change(data)
    return data


BROKEN = {
    "unknown skip target": (
        lambda d: d["skip_rules"][0]["skip"].append("q99"),
        "skip rule names unknown items",
    ),
    "unknown risk level": (
        lambda d: d["risk_rules"][0].update(level="extreme"),
        "unknown risk level 'extreme'",
    ),
    "unknown scoring method": (
        lambda d: d["scoring"].update(method="average"),
        "unknown scoring method 'average'",
    ),
    "unknown option set": (lambda d: d["items"][0].update(options="maybe"), "incomplete"),
    "no code": (lambda d: d.pop("code"), "incomplete"),
    "risk rule with no level": (lambda d: d["risk_rules"][0].pop("level"), "incomplete"),
    # docs/decisions.md §25: "unknown items in a rule ... are refused at load"
    "unknown item in a skip condition": (
        lambda d: d["skip_rules"][0]["when"].update(item="q22"),
        "unknown item",
    ),
    "unknown item in a risk condition": (
        lambda d: d["risk_rules"][0]["when"]["any"].append({"item": "q44", "equals": 1}),
        "unknown item",
    ),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_parse_refuses_a_file_that_does_not_hold_together(name):
    change, message = BROKEN[name]
    with pytest.raises(InstrumentError, match=message):
        parse(_broken(change))


def test_a_broken_file_in_a_folder_stops_the_load(tmp_path):
    (tmp_path / "bad.json").write_text(
        json.dumps(_broken(lambda d: d["scoring"].update(method="mean"))), encoding="utf-8"
    )
    with pytest.raises(InstrumentError):
        registry((str(tmp_path),))


# --- the test-only instrument, as the engine sees it ------------------------------------


def test_an_extra_folder_adds_an_instrument_to_the_shipped_ones():
    extra = load_dir(EXTRA_DIR)
    assert set(extra) == {"wellbeing3"}
    combined = registry((str(EXTRA_DIR),))
    assert set(combined) == set(SHIPPED) | {"wellbeing3"}
    wellbeing = combined["wellbeing3"]
    assert wellbeing.scored and wellbeing.max_score == 6
    # w1 "never": w2 is not asked and its answer does not count
    result = wellbeing.score({"w1": 0, "w2": 2, "w3": 1})
    assert (result.total, result.band.code, result.risk_level) == (1, "well", "low")
    assert result.skipped == ["w2"] and result.critical_items == []
    assert wellbeing.missing({"w1": 1, "w3": 0}) == ["w2"]
    result = wellbeing.score({"w1": 2, "w2": 2, "w3": 2})
    assert (result.total, result.band.code, result.risk_level) == (6, "struggling", "high")
    assert result.critical_items == ["w3"]
    assert wellbeing.score({"w1": 1, "w2": 1, "w3": 0}).risk_level == "none"
