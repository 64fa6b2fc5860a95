"""The interface texts are data: one JSON catalogue per language (``presentation/locales``).

Every key must stand in each language's file with the same placeholders, so a label never
falls back to English silently and no translation drops or invents a ``{value}``.
"""

from __future__ import annotations

import json
import string

import pytest

from atr_model.presentation import i18n


def _catalogue(lang: str) -> dict[str, str]:
    return json.loads((i18n.LOCALES_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def _placeholders(text: str) -> set[str]:
    """``{name}`` fields of ``text``; a YAML example such as ``{code: reason}`` is not one, nor is a
    dataset term (``{@units|айыл аймактарына}``: each language writes its own forms)."""
    return {
        field
        for _, field, spec, _ in string.Formatter().parse(text)
        if field and not field.startswith("@") and not (spec or "").startswith(" ")
    }


@pytest.mark.parametrize("lang", [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT_LANGUAGE])
def test_every_language_has_every_key_with_the_same_placeholders(lang: str) -> None:
    english, other = _catalogue(i18n.DEFAULT_LANGUAGE), _catalogue(lang)
    assert sorted(set(english) - set(other)) == [], f"{lang}.json lacks keys"
    assert sorted(set(other) - set(english)) == [], f"{lang}.json has keys English lacks"
    differ = {k: (english[k], other[k]) for k in english if _placeholders(english[k]) != _placeholders(other[k])}
    assert differ == {}, f"{lang}.json: placeholders differ from en.json"
    empty = [k for k, text in other.items() if not text.strip()]
    assert empty == [], f"{lang}.json: empty texts"


def test_the_loaded_catalogue_is_the_files() -> None:
    for lang in i18n.LANGUAGES:
        texts = _catalogue(lang)
        assert {k: v[lang] for k, v in i18n.STRINGS.items() if lang in v} == texts
    assert i18n.t("view.robustness", "ky") == _catalogue("ky")["view.robustness"]
