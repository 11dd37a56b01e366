"""Standardized instruments as data: each is a JSON file in ``data/`` (or a configured folder).

A file declares its items and answer options (with translations), and in data,
not code: the scoring method, severity bands, critical items, skip rules and
risk rules. Conditions are small JSON objects:

- ``{"item": "q2", "equals": 0}``, ``{"item": "q9", "above": 0}``
- ``{"any": [cond, ...]}``, ``{"all": [cond, ...]}``

Adding an instrument means adding a file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
RISK_ORDER = ("none", "low", "moderate", "high")


class InstrumentError(ValueError):
    """An instrument file that does not hold together."""


def _text(value: Mapping[str, str], locale: str) -> str:
    language = locale.split("_")[0]
    return value.get(language) or value.get("en") or next(iter(value.values()))


@dataclass(frozen=True)
class Option:
    value: int
    labels: Mapping[str, str]

    def label(self, locale: str) -> str:
        return _text(self.labels, locale)


@dataclass(frozen=True)
class Item:
    id: str
    texts: Mapping[str, str]
    options: tuple[Option, ...]
    critical_if: Mapping[str, Any] | None = None
    note: bool = False
    domain: str | None = None

    def text(self, locale: str) -> str:
        return _text(self.texts, locale)

    def option_label(self, value: int | None, locale: str) -> str:
        for option in self.options:
            if option.value == value:
                return option.label(locale)
        return "—"


@dataclass(frozen=True)
class Band:
    code: str
    low: int
    high: int
    labels: Mapping[str, str]

    def label(self, locale: str) -> str:
        return _text(self.labels, locale)


@dataclass
class Result:
    """What the app computes from the answers: nothing here is typed in by a person."""

    total: int | None
    band: Band | None
    critical_items: list[str]
    risk_level: str | None
    needs: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Instrument:
    code: str
    version: str
    titles: Mapping[str, str]
    instructions: Mapping[str, str]
    self_report: bool
    items: tuple[Item, ...]
    scoring: str
    max_score: int | None
    bands: tuple[Band, ...]
    skip_rules: tuple[Mapping[str, Any], ...]
    risk_rules: tuple[Mapping[str, Any], ...]
    reliable_change: int | None
    need_threshold: int | None

    def title(self, locale: str) -> str:
        return _text(self.titles, locale)

    def instruction(self, locale: str) -> str:
        return _text(self.instructions, locale)

    @property
    def scored(self) -> bool:
        return self.scoring == "sum"

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def skipped_items(self, answers: Mapping[str, int | None]) -> set[str]:
        """Items a skip rule takes out, given the answers so far."""
        skipped: set[str] = set()
        for rule in self.skip_rules:
            if _holds(rule["when"], answers):
                skipped.update(rule["skip"])
        return skipped

    def applicable_items(self, answers: Mapping[str, int | None]) -> list[Item]:
        skipped = self.skipped_items(answers)
        return [item for item in self.items if item.id not in skipped]

    def missing(self, answers: Mapping[str, int | None]) -> list[str]:
        """Applicable items left unanswered (every applicable item is required)."""
        return [i.id for i in self.applicable_items(answers) if answers.get(i.id) is None]

    def score(self, answers: Mapping[str, int | None]) -> Result:
        """Total, band, critical items, risk level and needs, from complete answers."""
        missing = self.missing(answers)
        if missing:
            raise InstrumentError(f"unanswered items: {', '.join(missing)}")
        applicable = self.applicable_items(answers)
        given = {i.id: answers[i.id] for i in applicable}
        total = sum(v for v in given.values() if v is not None) if self.scored else None
        band = None
        if total is not None:
            band = next((b for b in self.bands if b.low <= total <= b.high), None)
        critical = [
            i.id for i in applicable if i.critical_if and _compare(i.critical_if, given.get(i.id))
        ]
        risk = None
        if self.risk_rules:
            risk = next((r["level"] for r in self.risk_rules if _holds(r["when"], given)), "none")
        needs = []
        if self.need_threshold is not None:
            needs = [i.id for i in applicable if (given.get(i.id) or 0) >= self.need_threshold]
        skipped = [i.id for i in self.items if i.id not in given]
        return Result(total, band, critical, risk, needs, skipped)


def _compare(test: Mapping[str, Any], value: int | None) -> bool:
    if value is None:
        return False
    if "equals" in test:
        return bool(value == test["equals"])
    if "above" in test:
        return bool(value > test["above"])
    if "at_least" in test:
        return bool(value >= test["at_least"])
    raise InstrumentError(f"unknown comparison {dict(test)}")


def _holds(condition: Mapping[str, Any], answers: Mapping[str, int | None]) -> bool:
    if "any" in condition:
        return any(_holds(c, answers) for c in condition["any"])
    if "all" in condition:
        return all(_holds(c, answers) for c in condition["all"])
    if "item" in condition:
        return _compare(condition, answers.get(condition["item"]))
    raise InstrumentError(f"unknown condition {dict(condition)}")


def _check_condition(condition: Any, ids: set[str]) -> None:
    """A rule's condition names only this file's items and known comparisons."""
    if not isinstance(condition, Mapping):
        raise InstrumentError(f"a condition must be an object, not {condition!r}")
    if "any" in condition or "all" in condition:
        for part in condition.get("any", condition.get("all")):
            _check_condition(part, ids)
    elif "item" in condition:
        if condition["item"] not in ids:
            raise InstrumentError(f"rule names unknown item {condition['item']!r}")
        if not {"equals", "above", "at_least"} & condition.keys():
            raise InstrumentError(f"unknown comparison {dict(condition)}")
    else:
        raise InstrumentError(f"unknown condition {dict(condition)}")


def parse(data: Mapping[str, Any]) -> Instrument:
    """Build an instrument from its file's content, checking that it holds together."""
    try:
        option_sets = {
            name: tuple(Option(int(o["value"]), o["label"]) for o in options)
            for name, options in data["options"].items()
        }
        items = tuple(
            Item(
                id=i["id"],
                texts=i["text"],
                options=option_sets[i["options"]],
                critical_if=i.get("critical_if"),
                note=bool(i.get("note", False)),
                domain=i.get("domain"),
            )
            for i in data["items"]
        )
        bands = tuple(
            Band(b["code"], int(b["min"]), int(b["max"]), b["label"]) for b in data["bands"]
        )
        scoring = data["scoring"]["method"]
        code, titles = data["code"], data["title"]
        skip_rules = tuple(data.get("skip_rules", []))
        risk_rules = tuple(data.get("risk_rules", []))
        ids = {i.id for i in items}
        for rule in skip_rules:
            _check_condition(rule["when"], ids)
            unknown = set(rule["skip"]) - ids
            if unknown:
                raise InstrumentError(f"skip rule names unknown items {sorted(unknown)}")
        for rule in risk_rules:
            _check_condition(rule["when"], ids)
            if rule["level"] not in RISK_ORDER:
                raise InstrumentError(f"unknown risk level {rule['level']!r}")
    except InstrumentError:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise InstrumentError(f"instrument file is incomplete: {error}") from error
    if scoring not in ("sum", "none"):
        raise InstrumentError(f"unknown scoring method {scoring!r}")
    return Instrument(
        code=code,
        version=str(data.get("version", "1")),
        titles=titles,
        instructions=data.get("instructions", {"en": ""}),
        self_report=bool(data.get("self_report", False)),
        items=items,
        scoring=scoring,
        max_score=data["scoring"].get("max"),
        bands=bands,
        skip_rules=skip_rules,
        risk_rules=risk_rules,
        reliable_change=data.get("reliable_change"),
        need_threshold=data.get("need_threshold"),
    )


def load_dir(directory: Path) -> dict[str, Instrument]:
    """Every instrument file in a folder, by code."""
    found: dict[str, Instrument] = {}
    for path in sorted(directory.glob("*.json")):
        instrument = parse(json.loads(path.read_text(encoding="utf-8")))
        found[instrument.code] = instrument
    return found


def registry(extra_dirs: tuple[str, ...] = ()) -> dict[str, Instrument]:
    """The shipped instruments plus any in the configured extra folders."""
    instruments = load_dir(DATA_DIR)
    for directory in extra_dirs:
        instruments.update(load_dir(Path(directory)))
    return instruments
