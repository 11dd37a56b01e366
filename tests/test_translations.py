"""Every catalog is complete, correct and in step with the strings in the code."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "portal" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
CATALOGS = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))

# Names that stay the same in every language.
SAME_EVERYWHERE = frozenset({"Waypoint"})
# Words that really are spelled the same in a language. Keep these short: a
# translation equal to the English is usually a string somebody forgot.
SAME_IN = {
    "es": frozenset({"Supervisor"}),
}

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")
TAG = re.compile(r"<[^>]+>")


def _read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def _key(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple | list) else message.id


def _entries(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def _ids(messages: list[Message]) -> tuple[str | tuple[str, ...], ...]:
    return tuple(m.id if isinstance(m.id, str) else tuple(m.id) for m in messages)


def _texts(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _show(problems: list[str]) -> str:
    return "\n  " + "\n  ".join(problems)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """A template extracted right now from the code, exactly as `make translations` does."""
    out = tmp_path_factory.mktemp("extract") / "messages.pot"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "--quiet",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--sort-output",
            "--ignore-dirs=.*",
            "-o",
            str(out),
            ".",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"pybabel extract failed:\n{done.stderr}"
    return _read(out)


catalog_params = pytest.mark.parametrize(
    "path", CATALOGS, ids=[path.parts[-3] for path in CATALOGS]
)


def test_there_is_a_catalog_for_every_configured_language_but_english():
    from portal.config import Config

    languages = {path.parts[-3] for path in CATALOGS}
    assert languages == set(Config.LANGUAGES) - {Config.BABEL_DEFAULT_LOCALE}


@catalog_params
def test_catalog_has_no_untranslated_or_fuzzy_entries(path):
    catalog = _read(path)
    assert not catalog.fuzzy, f"{path}: the header is marked fuzzy"
    problems = []
    for message in _entries(catalog):
        strings = _texts(message.string)
        if not strings or not all(s.strip() for s in strings):
            problems.append(f"untranslated: {message.id!r}")
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
    assert not problems, f"{path.relative_to(ROOT)}:" + _show(problems)


@catalog_params
def test_catalog_fills_every_plural_form(path):
    catalog = _read(path)
    problems = [
        f"{message.id!r}: {len(_texts(message.string))} of {catalog.num_plurals} forms"
        for message in _entries(catalog)
        if message.pluralizable and len(_texts(message.string)) != catalog.num_plurals
    ]
    assert not problems, f"{path.relative_to(ROOT)}:" + _show(problems)


@catalog_params
def test_translations_are_not_just_the_english(path):
    catalog = _read(path)
    allowed = SAME_EVERYWHERE | SAME_IN.get(catalog.locale_identifier or "", frozenset())
    problems = []
    for message in _entries(catalog):
        originals = _texts(message.id)
        for form in _texts(message.string):
            if form in originals and form not in allowed:
                problems.append(f"same as the English: {form!r}")
    assert not problems, f"{path.relative_to(ROOT)}:" + _show(problems)


@catalog_params
def test_translations_keep_every_placeholder(path):
    catalog = _read(path)
    problems = []
    for message in _entries(catalog):
        originals = _texts(message.id)
        expected = set().union(*(_placeholders(text) for text in originals))
        forms = [_placeholders(form) for form in _texts(message.string) if form]
        if not forms:
            continue  # reported as untranslated
        if message.pluralizable:
            # A form may leave a name out (some languages say "one" in words),
            # but may not invent one, and together the forms must use them all.
            wrong = any(not form <= expected for form in forms) or set().union(*forms) != expected
        else:
            wrong = forms[0] != expected
        if wrong:
            problems.append(f"{message.id!r}: expected {sorted(expected)}, got {forms}")
    assert not problems, f"{path.relative_to(ROOT)}:" + _show(problems)


@catalog_params
def test_translations_keep_the_html_exactly(path):
    catalog = _read(path)
    problems = []
    for message in _entries(catalog):
        expected = Counter(TAG.findall(_texts(message.id)[-1]))
        for form in _texts(message.string):
            if form and Counter(TAG.findall(form)) != expected:
                problems.append(f"{message.id!r}: tags {sorted(TAG.findall(form))}")
    assert not problems, f"{path.relative_to(ROOT)}:" + _show(problems)


def test_committed_template_matches_the_code(extracted):
    committed = {_key(m): m.id for m in _entries(_read(TEMPLATE))}
    fresh = {_key(m): m.id for m in _entries(extracted)}
    missing = sorted(set(fresh) - set(committed))
    stale = sorted(set(committed) - set(fresh))
    changed = sorted(k for k in set(fresh) & set(committed) if fresh[k] != committed[k])
    problems = (
        [f"new in the code: {key!r}" for key in missing]
        + [f"gone from the code: {key!r}" for key in stale]
        + [f"plural changed: {key!r}" for key in changed]
    )
    assert not problems, (
        "portal/translations/messages.pot is out of date; run `make translations`:"
        + _show(problems)
    )


@catalog_params
def test_catalog_has_every_string_in_the_code(path, extracted):
    catalog = _read(path)
    problems = []
    for message in _entries(extracted):
        found = catalog.get(message.id if isinstance(message.id, str) else message.id[0])
        if found is None:
            problems.append(f"missing: {message.id!r}")
        elif _ids([found]) != _ids([message]):
            problems.append(f"plural changed: {message.id!r}")
        elif not all(_texts(found.string)) or found.fuzzy:
            problems.append(f"not translated yet: {message.id!r}")
    extra = {_key(m) for m in _entries(catalog)} - {_key(m) for m in _entries(extracted)}
    problems += [f"no longer in the code: {key!r}" for key in sorted(extra)]
    assert not problems, (
        f"{path.relative_to(ROOT)} is out of step with the code; run `make translations` "
        "and translate:" + _show(problems)
    )
