"""Presentation: the report's criteria section (the Concept's criteria and the scenario's
settings, each with the criterion it implements)."""

from __future__ import annotations

from typing import Any

from atr_model.criteria import CONCEPT_ATTRIBUTION, CONCEPT_CRITERIA, TRANSLATION_NOTE
from atr_model.presentation.i18n import DEFAULT_LANGUAGE, current_terms, field_label, option_label, t
from atr_model.presentation.report.html_parts import cell_text
from atr_model.presentation.report.html_parts import escape as _e
from atr_model.presentation.report.html_parts import table as _table
from atr_model.scenarios import ResultFiles, flatten_mapping

__all__ = ["criteria_section"]


#: Which Concept criterion (numbered 1-6) a scenario setting implements; matched by prefix.
_CRITERION_OF = (
    ("landscape", "1"),
    ("barrier", "1"),
    ("population_floor", "2"),
    ("floor_mode", "2"),
    ("exempt", "2"),
    ("high_mountain", "2"),
    ("remote", "2"),
    ("border", "2"),
    ("manual", "2"),
    ("max_travel_time_min", "3, 5"),
    ("accessibility", "3, 5"),
    ("centre", "3, 5"),
    ("min_centre_population", "3, 5"),
    ("admin_cost", "4"),
    ("weights", "4"),
    ("objective", "4"),
    ("n_units", "4"),
    ("population_cap", "4"),
    ("economic", "6"),
    ("indicator", "6"),
    ("nesting", "2.2 (stage)"),
    ("locks", "manual decision"),
    ("keep_separate", "manual decision"),
    ("together", "manual decision"),
    ("apart", "manual decision"),
)


def _concept() -> tuple[str, list[tuple[str, str, str]], dict[str, str]]:
    """Attribution, the Concept's criteria as (number, Kyrgyz, English), and setting -> numbers."""
    attribution = f"{CONCEPT_ATTRIBUTION} {TRANSLATION_NOTE}".strip()
    items: list[tuple[str, str, str]] = []
    implemented: dict[str, str] = {}
    for item in CONCEPT_CRITERIA:
        number = str(item.number)
        items.append((number, item.text_ky, item.text_en))
        for setting in item.implemented_by:
            implemented[setting] = ", ".join(x for x in (implemented.get(setting), number) if x)
    return attribution, items, implemented


def _criterion_for(key: str, implemented: dict[str, str]) -> str:
    parts = key.split(".")
    numbers: set[str] = set()
    # every declared prefix counts ("exemptions.high_mountain_m" is criterion 1 and, as an exemption, 2)
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in implemented:
            numbers.update(x.strip() for x in implemented[prefix].split(","))
    if numbers:
        return ", ".join(sorted(numbers))
    for prefix, number in _CRITERION_OF:
        if any(part.startswith(prefix) for part in parts):
            return number
    return ""


def _criterion_text(text: str, lang: str) -> str:
    """The Concept-criterion cell in ``lang`` (the numbers stay, the words are translated)."""
    words = {"manual decision": "report.manual_decision", "2.2 (stage)": "report.stage"}
    return t(words[text], lang) if text in words else text


def _setting_value(key: str, value: Any, lang: str) -> str:
    """A criteria setting's value as shown: choices in ``lang``, lists joined, numbers formatted."""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if value is None or (isinstance(value, str) and lang in ("ky", "ru")):
        return option_label(key.rsplit(".", 1)[-1], value, lang)
    return cell_text(value, lang)


def criteria_section(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
    """The criteria section: the Kyrgyz Concept's criteria sheet and each setting's criterion for the
    Kyrgyz data; for another dataset its own legal basis (if it names one) and the scenario's settings."""
    if not current_terms().is_kyrgyz:
        return _own_criteria_section(files, lang)
    attribution, items, implemented = _concept()
    parts = [f"<h2 id='criteria'>{_e(t('report.nav.criteria', lang))}</h2>"]
    english = lang not in ("ky", "ru")
    if items:
        # the English translation is unofficial: Kyrgyz and Russian readers get the official text only
        rows = [
            f"<tr><td>{_e(n)}</td><td class='ky'>{_e(ky)}</td>" + (f"<td>{_e(en)}</td>" if english else "") + "</tr>"
            for n, ky, en in items
        ]
        parts.append(f"<p>{_e(t('report.concept_intro', lang))}</p>")
        header = ["#", t("report.concept_ky", lang)] + ([t("report.concept_en", lang)] if english else [])
        parts.append(_table(header, rows))
    else:
        parts.append(f"<p class='muted'>{_e(t('report.concept_missing', lang))}</p>")
    if attribution:
        source = attribution if english else t("report.concept_source", lang)
        parts.append(f"<p class='muted'>{_e(source)}</p>")
    settings = flatten_mapping(files.criteria)
    rows = [
        f"<tr><td>{_e(field_label('crit.' + k, lang, k) if not english else k)}</td>"
        f"<td>{_e(_setting_value(k, v, lang))}</td>"
        f"<td>{_e(_criterion_text(_criterion_for(k, implemented), lang))}</td></tr>"
        for k, v in settings.items()
    ]
    parts.append(f"<h3>{_e(t('report.applies', lang))}</h3>")
    parts.append(_table([t("report.setting", lang), t("report.value", lang), t("report.concept_criterion", lang)], rows))
    return "".join(parts)


def _own_value(key: str, value: Any, lang: str) -> str:
    """A setting's value for another country's data: a choice by its label in every language
    (the option ``raion`` reads as the dataset's district word)."""
    if isinstance(value, str):
        return option_label(key.rsplit(".", 1)[-1], value, lang)
    return _setting_value(key, value, lang)


def _own_criteria_section(files: ResultFiles, lang: str) -> str:
    """Another country's data: no Concept sheet (the Concept is Kyrgyz law); its legal basis when
    the dataset names one, and the criteria the scenario applies."""
    english = lang not in ("ky", "ru")
    parts = [f"<h2 id='criteria'>{_e(t('report.nav.criteria', lang))}</h2>"]
    basis = current_terms().word("legal_basis", lang)
    if basis:
        parts.append(f"<p class='muted'>{_e(basis)}</p>")
    rows = [
        f"<tr><td>{_e(field_label('crit.' + k, lang, k) if not english else k)}</td><td>{_e(_own_value(k, v, lang))}</td></tr>"
        for k, v in flatten_mapping(files.criteria).items()
    ]
    parts.append(f"<h3>{_e(t('report.applies', lang))}</h3>")
    parts.append(_table([t("report.setting", lang), t("report.value", lang)], rows))
    return "".join(parts)
