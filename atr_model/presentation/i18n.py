"""Labels of the app and maps in Kyrgyz, Russian and English.

Every label is a key of :data:`STRINGS` with one text per language in :data:`LANGUAGES`;
:func:`t` looks one up and formats it. The catalogue covers the app, the maps, the criteria
editor (``crit.*``, ``solver.*``, ``opt.*``), the HTML report and the Council summary
(``report.*``, ``summary.*``) and the texts the data and the run write in English (dataset
name, travel-model label, estimate notes: :func:`dataset_label`, :func:`travel_model_label`,
:func:`estimate_note`). Scenario titles and descriptions come from the scenario file
(``title_ky``, ``title_ru``...: :func:`localized`). The texts themselves are data, one
JSON file per language under ``locales/``.

Unit and settlement names come from the data (``name_ky``, ``name_ru``, ``name_en``) through
:func:`display_name`, in the interface's script: Cyrillic for Kyrgyz and Russian, Latin for
English, where a name the data has only in Cyrillic is transliterated
(:mod:`atr_model.data.translit`, said by :func:`translit_note`); the code stands in when a
unit has no name at all.
The Kyrgyz and Russian texts are working translations for the interface; the Concept's own
wording is quoted from :mod:`atr_model.criteria` with its attribution.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atr_model.data import KYRGYZ_TERMS, DatasetTerms, dataset_terms
from atr_model.data.translit import is_cyrillic, latin_unit_name
from atr_model.errors import ATRError

if TYPE_CHECKING:
    from atr_model.scenarios import Scenario

__all__ = [
    "LANGUAGES",
    "DEFAULT_LANGUAGE",
    "STRINGS",
    "t",
    "fill_terms",
    "current_terms",
    "use_terms",
    "set_terms",
    "result_terms",
    "display_name",
    "is_transliterated",
    "translit_note",
    "name_columns",
    "format_number",
    "format_minutes",
    "status_label",
    "KPI_LABELS",
    "KPI_GROUPS",
    "ESTIMATED_KPIS",
    "kpi_label",
    "field_label",
    "field_help",
    "default_text",
    "option_label",
    "localized",
    "dataset_label",
    "travel_model_label",
    "estimate_note",
    "rule_labels",
    "error_text",
]

#: Language code -> its own name, in the order shown in the selector.
LANGUAGES: dict[str, str] = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}

#: Language used when none is chosen.
DEFAULT_LANGUAGE = "en"

#: Folder of the catalogue: one JSON file per language (``en.json``...), label key -> text.
#: Translators edit those files; every key must stand in each of them (``tests/test_i18n*``).
LOCALES_DIR = Path(__file__).with_name("locales")


def _load_catalogue(folder: Path) -> dict[str, dict[str, str]]:
    """Label key -> language -> text, from one ``<lang>.json`` per language of :data:`LANGUAGES`."""
    catalogue: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        path = folder / f"{lang}.json"
        texts = json.loads(path.read_text(encoding="utf-8"))
        for key, text in texts.items():
            catalogue.setdefault(key, {})[lang] = text
    return catalogue


#: Label key -> language -> text. ``{name}`` placeholders are filled by :func:`t`.
STRINGS: dict[str, dict[str, str]] = _load_catalogue(LOCALES_DIR)

#: KPI names (``kpis.json`` keys, dotted for nested ones) -> label keys.
KPI_LABELS: dict[str, str] = {
    "units_before": "kpi.units_before",
    "units_after": "kpi.units_after",
    "below_floor_before": "kpi.below_floor_before",
    "below_floor_after": "kpi.below_floor",
    "population_weighted_mean_travel_min": "kpi.mean_travel",
    "worst_travel_min": "kpi.worst_travel",
    "new_unit_population.min": "kpi.pop_min",
    "new_unit_population.median": "kpi.pop_median",
    "new_unit_population.max": "kpi.pop_max",
    "below_floor_before_non_exempt": "kpi.below_floor_ne_before",
    "below_floor_after_non_exempt": "kpi.below_floor_ne",
    "merged_units": "kpi.merged_units",
    "exempt_units": "kpi.exempt_units",
    "towns": "kpi.towns",
    "settlements_without_route_to_centre": "kpi.no_route",
    "admin_savings.abolished_offices": "kpi.abolished_offices",
    "admin_savings.staff_positions_saved": "kpi.staff_saved",
    "admin_savings.annual_saving_som": "kpi.annual_saving",
    "admin_savings.one_off_cost_som": "kpi.one_off_cost",
    "admin_savings.payback_years": "kpi.payback",
    "solver.objective": "kpi.objective",
    "solver.seconds": "kpi.seconds",
    "aiyl_aimak_units_after": "kpi.aiyl_aimak_units_after",
    "worst_travel_min_in_merged_units": "kpi.worst_travel_merged",
}

#: KPI groups (``kpis.json`` keys with members, dotted) labelled "<group>: <member>": group ->
#: catalogue prefix of its members; the group's own label is ``kpi.group.<group>``.
KPI_GROUPS: dict[str, str] = {
    "exempt_by_reason": "map.rule.",
    "status_counts": "status.",
    "estimated_share": "kpi.share.",
    "soft_violations": "kpi.soft.",
}

#: KPIs resting on assumptions (the extras' cost model): their labels carry the ≈ mark.
ESTIMATED_KPIS = ("admin_savings.",)


def kpi_label(name: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Readable label of a KPI name; unknown names are shown as they are.

    KPIs that rest on assumptions (estimated savings) are marked "≈ ... (estimate)".
    """
    key = KPI_LABELS.get(name)
    label = t(key, lang) if key else _group_label(name, lang)
    if name.startswith(ESTIMATED_KPIS):
        label = f"≈ {label} ({t('estimate.suffix', lang)})"
    return label


def _group_label(name: str, lang: str) -> str:
    """"<group>: <member>" for a member of a KPI group both of whose labels are known; else ``name``."""
    group, _, member = name.partition(".")
    if group not in KPI_GROUPS or not member:
        return name
    keys = (f"kpi.group.{group}", f"{KPI_GROUPS[group]}{member}")
    if not all(key in STRINGS for key in keys):
        return name
    return f"{t(keys[0], lang)}: {t(keys[1], lang)}"


# ---------------------------------------------------------------------------------------------
# Dataset terms: the catalogue writes the words a dataset depends on as placeholders
# ``{@unit}``, ``{@units}``, ``{@district}``, ``{@districts}``, ``{@region}``, ``{@regions}``,
# ``{@office}``, ``{@offices}``, ``{@currency}``, ``{@country}`` (capitalised first letter:
# ``{@Unit}``...; ``{@in_country}`` is " (<country>)" or nothing), filled here, the one place, from the current dataset's terms
# (:func:`use_terms`; the Kyrgyz terms by default). Russian and Kyrgyz inflect the Kyrgyz words
# ("айыл аймактарына"): such a form is written ``{@units|айыл аймактарына}`` and printed as it
# stands for the Kyrgyz terms; another dataset's term is given in one form only, so its
# nominative is printed there.

#: A text that cites the Kyrgyz Concept ("may stay small under the Concept") has a variant under
#: ``<key>.own`` that cites the scenario's own rules: :func:`t` prints it for any other dataset.
OWN_RULES_SUFFIX = ".own"

_TERMS: ContextVar[DatasetTerms] = ContextVar("atr_model_terms", default=KYRGYZ_TERMS)

#: Placeholder name -> (term key, plural by appending "s"): the English plural of a term that
#: has no plural of its own ("raion" -> "raions", "district" -> "districts").
_TERM_FIELDS: dict[str, tuple[str, bool]] = {
    "unit": ("unit_term", False),
    "units": ("unit_term_plural", False),
    "district": ("district_term", False),
    "districts": ("district_term", True),
    "region": ("region_term", False),
    "regions": ("region_term", True),
    "office": ("office_term", False),
    "offices": ("office_term", True),
    "currency": ("currency", False),
    "country": ("country", False),
}

_TERM_PLACEHOLDER = re.compile(r"\{@(\w+)(?:\|([^{}]*))?\}")


def current_terms() -> DatasetTerms:
    """The terms texts are filled with now (:func:`use_terms`; the Kyrgyz terms by default)."""
    return _TERMS.get()


@contextmanager
def use_terms(terms: DatasetTerms) -> Iterator[DatasetTerms]:
    """Fill the catalogue's term placeholders with ``terms`` inside the ``with`` block.

    Examples
    --------
    >>> from atr_model.data import GENERIC_TERMS
    >>> with use_terms(GENERIC_TERMS):
    ...     t("kpi.exempt_units", "en")
    'Exempt municipalities'
    >>> t("kpi.exempt_units", "en")
    'Exempt aiyl aimaks'
    """
    token = _TERMS.set(terms)
    try:
        yield terms
    finally:
        _TERMS.reset(token)


def result_terms(provenance: Mapping[str, Any]) -> DatasetTerms:
    """The terms of the dataset a result was run on, from its ``provenance.json``: the terms it
    recorded (``dataset_terms``), else those of its ``dataset_kind``; a result written before
    datasets had terms (no kind recorded) was Kyrgyz."""
    if "dataset_terms" not in provenance and "dataset_kind" not in provenance:
        return KYRGYZ_TERMS
    return dataset_terms(provenance)


def set_terms(terms: DatasetTerms) -> None:
    """Fill the term placeholders with ``terms`` from now on in this thread (the app sets them at
    the start of each script run, and again once the chosen dataset is loaded)."""
    _TERMS.set(terms)


def _term_word(name: str, lang: str, terms: DatasetTerms) -> str:
    if name == "in_country":  # " (Kyrgyz Republic)" after a title; nothing when the country is not named
        country = terms.word("country", lang)
        return f" ({country})" if country else ""
    field = _TERM_FIELDS.get(name.lower())
    if field is None:
        raise KeyError(f"unknown term placeholder {{@{name}}}; expected one of {', '.join(_TERM_FIELDS)}")
    key, plural = field
    word = terms.word(key, lang)
    if plural and word and lang == "en":
        word += "s"
    return word[:1].upper() + word[1:] if name[:1].isupper() else word


def fill_terms(
    text: str, lang: str = DEFAULT_LANGUAGE, terms: DatasetTerms | None = None, *, escape: bool = False
) -> str:
    """``text`` with its term placeholders (``{@unit}``, ``{@units|айыл аймактарына}``...) filled
    from ``terms`` (default: :func:`current_terms`); other placeholders are left alone
    (``escape``: braces in a filled word are doubled, for a text that ``str.format`` fills next).

    Examples
    --------
    >>> from atr_model.data import GENERIC_TERMS
    >>> fill_terms("{@Districts} of the {@unit}", "en", GENERIC_TERMS)
    'Districts of the municipality'
    >>> fill_terms("{@units|айыл аймактарына}", "ky"), fill_terms("{@units|айыл аймактарына}", "ky", GENERIC_TERMS)
    ('айыл аймактарына', 'муниципалитеттер')
    """
    if "{@" not in text:
        return text
    terms = terms or _TERMS.get()

    def word(match: re.Match[str]) -> str:
        name, kyrgyz_form = match.group(1), match.group(2)
        out = kyrgyz_form if kyrgyz_form is not None and terms.is_kyrgyz else _term_word(name, lang, terms)
        return out.replace("{", "{{").replace("}", "}}") if escape else out

    return _TERM_PLACEHOLDER.sub(word, text)


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **values: Any) -> str:
    """Return the label ``key`` in language ``lang``, formatted with ``values``.

    Parameters
    ----------
    key
        A key of :data:`STRINGS`.
    lang
        A key of :data:`LANGUAGES`; unknown languages fall back to English.
    **values
        Placeholders to fill (``{n}``, ``{seconds}``...).

    Returns
    -------
    str
        The text; an unknown key returns the key itself so a missing label shows up on the
        page instead of breaking it.
    """
    if f"{key}{OWN_RULES_SUFFIX}" in STRINGS and not _TERMS.get().is_kyrgyz:
        key = f"{key}{OWN_RULES_SUFFIX}"  # the text without the Kyrgyz Concept, for another country's data
    texts = STRINGS.get(key)
    if texts is None:
        return key
    text = texts.get(lang) or texts[DEFAULT_LANGUAGE]
    if "{@" in text:
        # a term is data: braces in it are text, not placeholders for format()
        text = fill_terms(text, lang, escape=bool(values))
    return text.format(**values) if values else text


def error_text(exc: BaseException, lang: str = DEFAULT_LANGUAGE) -> str:
    """An error's message in ``lang``: the catalogue's ``error.<key>`` filled with the error's
    values when it has a key (:class:`atr_model.errors.ATRError`), else its own (English) text."""
    if not isinstance(exc, ATRError) or not exc.key or f"error.{exc.key}" not in STRINGS:
        return str(exc)
    return t(f"error.{exc.key}", lang, **exc.params)


def name_columns(lang: str) -> tuple[str, ...]:
    """Name columns to try for ``lang``, most preferred first."""
    order = {"ky": ("name_ky", "name_ru", "name_en"), "ru": ("name_ru", "name_ky", "name_en")}
    return order.get(lang, ("name_en", "name_ky", "name_ru"))


def _name_value(row: Mapping[str, Any], column: str) -> str:
    value = row.get(column)
    return value.strip() if isinstance(value, str) and value.strip() else ""


def display_name(row: Mapping[str, Any], lang: str, *, code_column: str = "unit_code") -> str:
    """Name of a unit, settlement, raion or oblast in ``lang``'s script from its data row.

    Kyrgyz and Russian use the row's Cyrillic names (the other language's as a fallback).
    English uses ``name_en``; where the data has only Cyrillic names, the name is
    transliterated with :func:`atr_model.data.translit.latin_unit_name` (say so with
    :func:`translit_note`), so one table never mixes scripts. Without any name, the code in
    ``code_column`` is shown.
    """
    for column in name_columns(lang):
        value = _name_value(row, column)
        if not value:
            continue
        if lang in ("ky", "ru") or not is_cyrillic(value):
            return value
        return latin_unit_name(value)
    code = row.get(code_column)
    return "" if code is None else str(code)


def is_transliterated(row: Mapping[str, Any], lang: str) -> bool:
    """Whether :func:`display_name` transliterates this row's name for ``lang``."""
    if lang in ("ky", "ru"):
        return False
    for column in name_columns(lang):
        value = _name_value(row, column)
        if value:
            return is_cyrillic(value)
    return False


def translit_note(rows: Iterable[Mapping[str, Any]] | int, lang: str) -> str:
    """The footnote "names transliterated from Cyrillic" when any of ``rows`` needs it, else "".

    ``rows`` are data rows with name columns, or the number of transliterated names.
    """
    if lang in ("ky", "ru"):
        return ""
    n = rows if isinstance(rows, int) else sum(1 for row in rows if is_transliterated(row, lang))
    return t("names.transliterated", lang, n=n) if n else ""


def format_number(
    value: Any, lang: str = DEFAULT_LANGUAGE, *, is_estimate: bool = False, digits: int = 0, trim_whole: bool = False
) -> str:
    """Format a figure in ``lang``'s convention, marking estimates visibly.

    The one number formatter of the interface, the maps, the reports and the summary. English
    writes "12,345.5"; Kyrgyz and Russian separate thousands with a no-break space and
    decimals with a comma ("12 345,5").

    Parameters
    ----------
    value
        A number (or anything ``float`` reads); None, NaN and text that is no number show "–",
        infinity "∞".
    lang
        A key of :data:`LANGUAGES`.
    is_estimate
        Mark the figure "≈ ... (estimate)".
    digits
        Decimals shown.
    trim_whole
        Show whole numbers without decimals ("5", not "5.0"; the report's cells).

    Examples
    --------
    >>> format_number(4200, "en", is_estimate=True)
    '≈ 4,200 (estimate)'
    >>> format_number(12345.5, "ru", digits=1)
    '12\xa0345,5'
    >>> format_number(5.0, "en", digits=2, trim_whole=True), format_number(2.5, "en", digits=1, trim_whole=True)
    ('5', '2.5')
    >>> format_number(float("nan"))
    '–'
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(number):
        return "–"
    if math.isinf(number):
        return "∞"
    if trim_whole and number.is_integer():
        digits = 0
    text = f"{number:,.{digits}f}"
    if lang in ("ru", "ky"):
        text = text.replace(",", "\u00a0").replace(".", ",")
    if is_estimate:
        return f"≈ {text} ({t('estimate.suffix', lang)})"
    return text


def format_minutes(value: Any, lang: str = DEFAULT_LANGUAGE, *, is_modelled: bool = False) -> str:
    """Format a travel time in minutes; modelled (not road-based) times get the ≈ mark."""
    return format_number(value, lang, is_estimate=is_modelled, digits=0)


def status_label(status: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Readable label of a result status (``kept``, ``merged``...)."""
    key = f"status.{status}"
    return t(key, lang) if key in STRINGS else status


# ---------------------------------------------------------------------------------------------
# Criteria editor: one label (``crit.<path>``) and one help text (``crit.<path>.help``) per
# field of :class:`~atr_model.criteria.Criteria`, the same for the solver options
# (``solver.<name>``), and the shown values of choice fields (``opt.<field>.<value>``).



def field_label(path: str, lang: str = DEFAULT_LANGUAGE, fallback: str = "") -> str:
    """Label of a criteria or solver field (``crit.exemptions.border_km``); ``fallback`` if none."""
    return t(path, lang) if path in STRINGS else (fallback or path.rsplit(".", 1)[-1].replace("_", " ").capitalize())


#: Marks "no default given" for :func:`field_help` (None is a field default of its own).
_NO_DEFAULT = object()


def default_text(value: Any, lang: str = DEFAULT_LANGUAGE, field: str = "") -> str:
    """A field's default as a help text states it in ``lang``.

    Switches read "on" / "off", an empty value "none", numbers follow the language's number
    format and a choice is shown as the editor shows it (:func:`option_label` of ``field``).

    Examples
    --------
    >>> default_text(True, "en"), default_text(None, "en"), default_text(5000.0, "ru")
    ('on', 'none', '5\xa0000')
    """
    if value is None or (isinstance(value, (tuple, list, dict, set)) and not value):
        return t("sidebar.none", lang)
    if isinstance(value, bool):
        return t("default.on" if value else "default.off", lang)
    if isinstance(value, (int, float)):
        shown = f"{float(value):g}"
        digits = len(shown.split(".", 1)[1]) if "." in shown and "e" not in shown else 0
        return format_number(value, lang, digits=digits)
    if isinstance(value, str):
        return option_label(field, value, lang)
    return str(value)


def field_help(
    path: str, lang: str = DEFAULT_LANGUAGE, fallback: str | None = None, *, default: Any = _NO_DEFAULT
) -> str | None:
    """Help text of a criteria or solver field; ``fallback`` (the English description) if none.

    A help text never restates a default: it says ``{default}`` and this fills in ``default``
    (the field's own default, :func:`default_text`), so the help cannot drift from the code.

    Raises
    ------
    ValueError
        When the help text states the default and no ``default`` is given.
    """
    key = f"{path}.help"
    if key not in STRINGS:
        return fallback
    text = t(key, lang)
    if "{default}" not in text:
        return text
    if default is _NO_DEFAULT:
        raise ValueError(f"help text {key!r} states the field's default: pass default=")
    return t(key, lang, default=default_text(default, lang, path.rsplit(".", 1)[-1]))


def option_label(field: str, value: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """Shown text of a choice value of field ``field`` (``opt.<field>.<value>``, then ``opt.<value>``)."""
    if value is None:
        return t("sidebar.none", lang)
    for key in (f"opt.{field}.{value}", f"opt.{value}"):
        if key in STRINGS:
            return t(key, lang)
    return str(value)


def localized(item: Scenario | Mapping[str, object], field: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A text field of a scenario (or its mapping) in ``lang``: ``title_ky`` for ``title`` in
    Kyrgyz, ``title_ru`` in Russian, the plain field in English and as the fallback."""
    def get(name: str) -> str:
        # ``title_ky`` and the like: a Scenario has them, a mapping (a package's scenario.yaml) may not
        value = item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)
        return value.strip() if isinstance(value, str) else ""

    return (get(f"{field}_{lang}") if lang in ("ky", "ru") else "") or get(field)


# ---------------------------------------------------------------------------------------------
# Texts that come from the data and the run in English: the dataset's name, the travel
# model's label and the per-unit estimate notes. Each known form has a catalogue key.


#: Dataset ``kind`` (metadata) -> catalogue key of its name.
_DATASET_KINDS = {"demo": "dataset.demo", "kyrgyzstan-open-data": "dataset.kyrgyz"}

def dataset_label(name: str, kind: str = "", lang: str = DEFAULT_LANGUAGE) -> str:
    """The dataset's name in ``lang``: known kinds (demo, the Kyrgyz build) are translated,
    a raion subset keeps its suffix ("— 41702"), any other name is shown as it is."""
    key = _DATASET_KINDS.get(str(kind))
    if key is None:
        return name
    suffix = ""
    if " — " in str(name):
        suffix = " — " + str(name).split(" — ", 1)[1]
    return t(key, lang) + suffix


def travel_model_label(label: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The travel model's label (``provenance.json`` ``travel_model``) in ``lang``.

    Known forms are "modelled: no road data" and "roads: FILE", optionally followed by
    "(no elevation data: ...)"; the estimate prefix (≈) is kept; anything else is unchanged.
    """
    text = str(label or "")
    prefix = ""
    match = re.match(r"^(\W*?)\s*(?=[a-z])", text)
    if match and match.group(1):
        prefix, text = match.group(1) + " ", text[match.end():]
    if text.startswith("estimate: "):  # the data contract's estimate prefix
        prefix, text = f"{prefix}{t('estimate.suffix', lang)}: ", text[len("estimate: "):]
    tail = ""
    if text.endswith("(no elevation data: no terrain penalties or seasonal passes)"):
        text = text[: text.rindex("(")].strip()
        tail = f" ({t('travel.no_elevation', lang)})"
    if text == "modelled: no road data":
        return prefix + t("travel.modelled", lang) + tail
    if text.startswith("roads: "):
        return prefix + t("travel.roads", lang, file=text[len("roads: "):]) + tail
    return str(label or "")


#: The forms of a unit's ``estimated_inputs`` note (scenarios/instance_builder.py) -> catalogue keys.
_ESTIMATE_FORMS = (
    (re.compile(r"^population \(estimate\)$"), "estimate.population"),
    (re.compile(r"^village populations \((\d+) estimated\)$"), "estimate.village_population"),
    (re.compile(r"^village locations \((\d+) stand-ins\)$"), "estimate.village_location"),
    (re.compile(r"^territory \(approximate\)$"), "estimate.territory"),
    (re.compile(r"^travel times \(modelled: no road data\)$"), "estimate.travel"),
    (re.compile(r"^travel to own centre \(incomplete routes\)$"), "estimate.own_route"),
)


def estimate_note(text: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A unit's ``estimated_inputs`` note ("population (estimate); travel times (...)") in ``lang``.

    Known parts are translated; an unknown part is kept as it is.
    """
    forms = _ESTIMATE_FORMS
    out = []
    for part in (p.strip() for p in str(text or "").split(";")):
        if not part:
            continue
        for pattern, key in forms:
            match = pattern.match(part)
            if match:
                out.append(t(key, lang, n=match.group(1)) if match.groups() else t(key, lang))
                break
        else:
            out.append(part)
    return "; ".join(out)


def rule_labels(rules: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Exemption rule names (``"high_mountain;border"``) as readable text in ``lang``."""
    parts = [p for p in str(rules or "").split(";") if p]
    return ", ".join(t(f"rule.{p}", lang) if f"rule.{p}" in STRINGS else p for p in parts)
