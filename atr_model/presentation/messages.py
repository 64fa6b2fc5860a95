"""The engine's messages in the interface's language: a unit's reason, a plan-check violation, an
infeasibility, and the exemption texts inside them.

The engine writes each message in English and records its code and raw parameters
(:mod:`atr_model.optimisation.wording`). Here the code picks catalogue texts (``reason.<part>``,
``check.<code>``, ``infeasible.<code>``) and the parameters fill them: numbers with
:func:`~atr_model.presentation.i18n.format_number` (with the decimals the engine states), unit
codes as "name (code)" with the name in the interface's language, identifiers (exemption rules,
solver statuses, constraint families, criteria options) with their catalogue labels. The
English catalogue texts are the engine's sentences, so English renders exactly what the engine
wrote (``tests/test_messages.py`` holds every code to that).

A message without a code (a result package written before codes existed, an error raised
without one) is shown as the engine wrote it; for Kyrgyz and Russian an old package's reason is
composed from the row's status instead, as before codes existed.
"""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import pandas as pd

from atr_model.data import KYRGYZ_TERMS
from atr_model.errors import InfeasibleError
from atr_model.optimisation import Violation, decimals
from atr_model.presentation.i18n import (
    DEFAULT_LANGUAGE,
    STRINGS,
    error_text,
    fill_terms,
    format_number,
    option_label,
    rule_labels,
    status_label,
    t,
)
from atr_model.presentation.territory_text import unit_name_in

__all__ = [
    "unit_label",
    "result_unit_names",
    "reason_params",
    "render_reason",
    "render_violation",
    "render_infeasibility",
    "render_error",
    "exemption_text",
    "decision_text",
    "message_keys",
]

#: How many reasons an infeasibility lists before "(and N more)" (as the engine's message).
SHOWN_REASONS = 5

#: Parameters holding a unit code, or a list of unit codes: shown as "name (code)".
UNIT_PARAMS = frozenset({"unit", "centre", "other", "nearest", "locked", "partner", "units", "barrier_units"})


def unit_label(code: str, names: Mapping[str, str]) -> str:
    """A unit as the engine names it in a sentence: "name (code)", or the code when it has no name."""
    name = names.get(str(code)) or str(code)
    return str(code) if name == str(code) else f"{name} ({code})"


def result_unit_names(assignments: pd.DataFrame, lang: str) -> dict[str, str]:
    """Unit code -> name in ``lang`` from a result's ``assignments`` table, for the units that
    have one (the one reader of a result's name columns:
    :func:`~atr_model.presentation.territory_text.unit_name_in`)."""
    rows = assignments.to_dict("records")
    return {str(row["unit_code"]): name for row in rows if (name := unit_name_in(row, lang))}


def _text(value: Any) -> str:
    """A cell as text ('' for a missing value)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def reason_params(row: Mapping[str, Any]) -> dict[str, Any]:
    """The ``reason_params`` of an ``assignments`` row as a dict (a JSON text in the package)."""
    raw = row.get("reason_params")
    if isinstance(raw, Mapping):
        return dict(raw)
    text = _text(raw).strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# ---------------------------------------------------------------------------------------------
# parameters -> shown values


def _number(value: float, lang: str) -> str:
    return format_number(value, lang, digits=decimals(float(value)))


def _identifier(english: Callable[[str], str], local: Callable[[str, str], str]) -> Callable[[Any, str], str]:
    """Show an identifier as the engine's English writes it, and with its label in Kyrgyz and Russian."""
    def show(value: Any, lang: str) -> str:
        return english(str(value)) if lang not in ("ky", "ru") else local(str(value), lang)
    return show


def _catalogue_or(key: str, value: str, lang: str) -> str:
    return t(key, lang) if key in STRINGS else value


#: Parameters whose value is an identifier with a label of its own (key -> how it is shown).
_IDENTIFIERS: dict[str, Callable[[Any, str], str]] = {
    "rule": lambda value, lang: exemption_text(str(value), lang) if value else t("exempt.none", lang),
    "rules": _identifier(lambda v: v or "exempt", lambda v, lang: rule_labels(v, lang) or t("exempt.none", lang)),
    "towns": _identifier(str, lambda v, lang: option_label("towns", v, lang)),
    "nesting": _identifier(str, lambda v, lang: option_label("nesting", v, lang)),
    "status": _identifier(str, lambda v, lang: _catalogue_or(f"solver_status.{v}", v, lang)),
    "families": lambda value, lang: ", ".join(t(f"infeasible.family.{f}", lang) for f in value),
    "pieces": lambda value, lang: " | ".join(", ".join(str(c) for c in piece) for piece in value),
}


def _shown(key: str, value: Any, lang: str, names: Mapping[str, str]) -> str:
    """One parameter as it reads in a sentence in ``lang``."""
    if key in _IDENTIFIERS:
        return _IDENTIFIERS[key](value, lang)
    if key in UNIT_PARAMS:
        codes = value if isinstance(value, list) else [value]
        return ", ".join(unit_label(str(c), names) for c in codes)
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (int, float)):
        return _number(value, lang)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _values(params: Mapping[str, Any], lang: str, names: Mapping[str, str]) -> dict[str, str]:
    """Every parameter shown, plus ``where`` ("in group 'x'" / "in total") for counts."""
    values = {key: _shown(key, value, lang, names) for key, value in params.items()}
    values["where"] = (t("infeasible.where.group", lang, group=str(params["group"])) if "group" in params
                       else t("infeasible.where.total", lang))
    return values


def _fill(key: str, lang: str, values: Mapping[str, str]) -> str:
    return t(key, lang, **values)


# ---------------------------------------------------------------------------------------------
# exemption texts (written by the criteria layer: atr_model.criteria.exemptions)


#: Catalogue keys of the exemption texts' forms, tried in this order at each part (a form that
#: another one extends comes first).
_EXEMPTION_FORMS = (
    "exempt.town",
    "exempt.high_mountain.both",
    "exempt.high_mountain.centre",
    "exempt.high_mountain.top",
    "exempt.remote.no_route",
    "exempt.remote.mean",
    "exempt.remote.worst",
    "exempt.hard_to_reach.minutes",
    "exempt.hard_to_reach",
    "exempt.border",
    "exempt.manual",
)
_NUMBER = r"-?[\d,]+(?:\.\d+)?"
#: Placeholders of the exemption forms that are not numbers -> what they match.
_WORDS = {"towns": r"\w+", "text": r".*"}


@cache
def _form_pattern(key: str) -> re.Pattern[str]:
    """A form's English catalogue text as a pattern: each ``{name}`` a group (repeats must agree)."""
    out, seen = [], set()
    # the core writes these notes with the Kyrgyz words: match them as written
    english = fill_terms(STRINGS[key][DEFAULT_LANGUAGE], DEFAULT_LANGUAGE, KYRGYZ_TERMS)
    for literal, name, _spec, _conv in string.Formatter().parse(english):
        out.append(re.escape(literal))
        if name is None:
            continue
        out.append(f"(?P={name})" if name in seen else f"(?P<{name}>{_WORDS.get(name, _NUMBER)})")
        seen.add(name)
    return re.compile("".join(out))


def _exemption_part(match: re.Match[str], key: str, lang: str) -> str:
    values = {}
    for name, raw in match.groupdict().items():
        if name in _WORDS:
            values[name] = option_label("towns", raw, lang) if name == "towns" and lang in ("ky", "ru") else raw
            continue
        digits = len(raw.split(".", 1)[1]) if "." in raw else 0
        values[name] = format_number(float(raw.replace(",", "")), lang, digits=digits)
    return t(key, lang, **values)


def exemption_text(text: str, lang: str) -> str:
    """A unit's exemption text ("high-mountain: centre at 2,778 m > 2,000 m; border: ...") in ``lang``.

    Each part is matched against the forms the criteria layer writes (their English catalogue
    texts) and written again in ``lang`` with its measured values; a part of no known form is
    kept as it is. A manual exemption's own reason is the user's text and stays as written.
    """
    text = _text(text)
    out, pos = [], 0
    while pos < len(text):
        for key in _EXEMPTION_FORMS:
            match = _form_pattern(key).match(text, pos)
            if match and (match.end() == len(text) or text.startswith("; ", match.end())):
                out.append(_exemption_part(match, key, lang))
                pos = match.end()
                break
        else:  # an unknown part: keep it up to the next separator
            end = text.find("; ", pos)
            end = len(text) if end < 0 else end
            out.append(text[pos:end])
            pos = end
        pos += 2 if text.startswith("; ", pos) else 0
    return "; ".join(out)


# ---------------------------------------------------------------------------------------------
# reasons


def _reason_keys(code: str) -> list[str]:
    return [f"reason.{part}" for part in code.split("+") if part]


def render_reason(row: Mapping[str, Any], lang: str, names: Mapping[str, str]) -> str:
    """Why a unit ends where it does, in ``lang``, from an ``assignments`` row.

    Parameters
    ----------
    row
        An ``assignments.csv`` row: ``reason_code`` and ``reason_params`` (the engine's code and
        values), ``reason`` (its English sentence), ``status``...
    lang
        Interface language.
    names
        Unit code -> name in ``lang`` (:func:`result_unit_names`, or the map's names); a code
        without a name is shown as the code.

    Returns
    -------
    str
        The sentence in ``lang``. A row with an empty ``reason_code`` shows its ``reason`` as it
        is (already the text to show, as the plan check's map rows); a package written before
        codes existed shows the English ``reason``, or for Kyrgyz and Russian the decision
        composed from the row's status ('' when the status says everything).
    """
    code = _text(row.get("reason_code")).strip()
    keys = _reason_keys(code)
    if keys and all(key in STRINGS for key in keys):
        params = reason_params(row)
        values = _values(params, lang, names)
        if "unit" in params:  # the sentence opens with the unit and its residents
            values["own"] = _fill("reason.own_floor" if "floor" in params else "reason.own", lang, values)
        return " ".join(_fill(key, lang, values) for key in keys)
    if lang in ("ky", "ru") and "reason_code" not in row:
        return _composed_reason(row, lang, names, {})
    return _text(row.get("reason"))


def _composed_reason(
    row: Mapping[str, Any], lang: str, names: Mapping[str, str], sizes: Mapping[str, tuple[int, float]]
) -> str:
    """An old package's decision in Kyrgyz or Russian, from the row's status, centre, travel time
    and exemption rules ('' when the status says everything)."""
    status = _text(row.get("status"))
    label = status_label(status, lang)
    if status == "merged":
        minutes = format_number(row.get("travel_time_to_centre_min"), lang)
        centre = _text(row.get("centre_code"))
        text = t("report.decision.merged", lang, status=label, centre=names.get(centre, centre), minutes=minutes)
    elif status == "centre" and _text(row.get("new_unit_id")) in sizes:
        size = sizes[_text(row.get("new_unit_id"))]
        text = t("report.decision.centre", lang, status=label, n=size[0], people=format_number(size[1], lang))
    elif _text(row.get("exempt_rules")):
        text = t("report.decision.exempt", lang, status=label, rules=rule_labels(_text(row.get("exempt_rules")), lang))
    else:
        return ""
    return text.split(": ", 1)[-1]


def decision_text(
    row: Mapping[str, Any], lang: str, names: Mapping[str, str], sizes: Mapping[str, tuple[int, float]] | None = None
) -> str:
    """What happens to a unit, in ``lang``: "<status>: <reason>" (:func:`render_reason`).

    Parameters
    ----------
    row
        An ``assignments.csv`` row (``status``, ``reason_code``, ``reason_params``, ``reason``...).
    names
        Unit code -> name in ``lang``.
    sizes
        New unit id -> (number of units, population), for a package written before codes
        existed (Kyrgyz and Russian compose a centre's line from it); may be empty.
    """
    label = status_label(_text(row.get("status")), lang)
    if lang in ("ky", "ru") and "reason_code" not in row:
        reason = _composed_reason(row, lang, names, sizes or {})
    else:
        reason = render_reason(row, lang, names)
    return f"{label}: {reason}" if reason else label


# ---------------------------------------------------------------------------------------------
# plan check and infeasibility


def render_violation(violation: Violation | Mapping[Any, Any], lang: str, names: Mapping[str, str]) -> str:
    """A plan-check violation in ``lang``: a :class:`~atr_model.optimisation.Violation` or a row
    of :attr:`PlanEvaluation.violations <atr_model.scenarios.PlanEvaluation>` (``code``,
    ``params``, ``message``). Without a known code, the English ``message``."""
    params: object  # a table row's params may be anything; only a mapping is rendered
    if isinstance(violation, Violation):
        code, params, message = violation.code, violation.params, violation.message
    else:
        code, message = _text(violation.get("code")), _text(violation.get("message"))
        params = violation.get("params")
    key = f"check.{code}"
    if not code or key not in STRINGS or not isinstance(params, Mapping):
        return message
    return _fill(key, lang, _values(params, lang, names))


def _render_reason_dict(reason: Mapping[str, Any], lang: str, names: Mapping[str, str]) -> str:
    """One conflict of an infeasibility (``code``, ``params``, ``message``) in ``lang``."""
    code, params = _text(reason.get("code")), reason.get("params")
    key = f"infeasible.{code}"
    if not code or key not in STRINGS or not isinstance(params, Mapping):
        return _text(reason.get("message"))
    return _fill(key, lang, _values(params, lang, names))


def render_infeasibility(error: InfeasibleError, lang: str, names: Mapping[str, str]) -> str:
    """An :class:`~atr_model.errors.InfeasibleError` in ``lang``.

    Code ``hard_constraints`` lists the first reasons (each rendered from its own code) and how
    many more there are; another code is one catalogue text; an error without a code (or one
    the catalogue does not know) shows its English message.
    """
    code = error.code
    if code == "hard_constraints" and error.reasons:
        shown = "; ".join(_render_reason_dict(r, lang, names) for r in error.reasons[:SHOWN_REASONS])
        extra = len(error.reasons) - SHOWN_REASONS
        more = t("infeasible.more", lang, n=extra) if extra > 0 else ""
        return t("infeasible.hard_constraints", lang, reasons=shown, more=more)
    key = f"infeasible.{code}"
    if not code or key not in STRINGS:
        return str(error)
    return _fill(key, lang, _values(error.params, lang, names))


def render_error(error: BaseException, lang: str, names: Mapping[str, str] | None = None) -> str:
    """An error's text for the page: an infeasibility in ``lang``, any other error as it is."""
    if isinstance(error, InfeasibleError):
        return render_infeasibility(error, lang, names or {})
    return error_text(error, lang)


def message_keys(prefix: str, code: str) -> list[str]:
    """The catalogue keys a message code needs (``reason`` codes are ``+``-joined parts)."""
    if prefix == "reason":
        return _reason_keys(code)
    return [f"{prefix}.{code}"]
