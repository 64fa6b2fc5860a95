"""A sidebar editor for every field of the scenario's criteria, generated from the model.

Widgets follow the pydantic field types (number, switch, choice, list as YAML) and start from
the selected scenario's values. Labels, help texts and choice values come from the i18n
catalogue (``crit.<path>``, ``crit.<path>.help``, ``opt.<value>``) in the interface language;
a field without a catalogue entry falls back to its English description. A help text that
states a default says ``{default}``, filled from the pydantic field's default (for the solver
options, those of :class:`~atr_model.optimisation.EngineSettings`), so it cannot drift from the
code. Each criterion that implements a Concept criterion shows the Concept's wording beside it.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal

import streamlit as st
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from atr_model.presentation.app import concept
from atr_model.presentation.i18n import current_terms, field_help, field_label, option_label, t

__all__ = ["edit_model", "quote_criterion", "CHOICE_WIDGETS", "is_editor_key"]

_NONE = type(None)

#: Session key of the set of the editor's choice widgets (their labels depend on the language).
CHOICE_WIDGETS = "_editor_choice_widgets"


def is_editor_key(key: str) -> bool:
    """Whether a widget key belongs to the criteria or solver editor (``crit3.nesting``...)."""
    return bool(re.match(r"^(crit|solver)\d+\.", key))


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(inner type, optional?) with Annotated and Optional removed."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not _NONE]
            optional = optional or len(args) < len(typing.get_args(annotation))
            if len(args) == 1:
                annotation = args[0]
                continue
            return annotation, optional
        return annotation, optional


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _bounds(field: FieldInfo) -> tuple[float | None, float | None]:
    low = high = None
    for meta in field.metadata:
        # each constraint is its own annotated_types class (Ge, Gt, Le, Lt, Interval, MultipleOf, ...):
        # the bound is whichever of these attributes the class has
        for name in ("ge", "gt"):
            if getattr(meta, name, None) is not None:
                low = float(getattr(meta, name))
        for name in ("le", "lt"):
            if getattr(meta, name, None) is not None:
                high = float(getattr(meta, name))
    return low, high


def _step(name: str, is_int: bool) -> float | int:
    if "population" in name or name.endswith("_som"):
        return 500 if is_int else 500.0
    if name.endswith("_min") or name.endswith("_km") or "minutes" in name:
        return 5 if is_int else 5.0
    if name.endswith("_m"):
        return 100 if is_int else 100.0
    return 1 if is_int else 1.0


def _label(path: str, field: FieldInfo, lang: str) -> str:
    """The field's label in ``lang`` (catalogue key ``path``, e.g. ``crit.exemptions.border_km``)."""
    return field_label(path, lang, field.title or "")


def quote_criterion(number: int, lang: str) -> None:
    """Show the Concept's wording of criterion ``number`` as a caption (with attribution); nothing
    for another country's dataset (the Concept is Kyrgyz law: docs/datasets.md)."""
    if not current_terms().is_kyrgyz:
        return
    texts = {c.number: c for c in concept.concept_criteria()}
    item = texts.get(number)
    if item is None:
        return
    label = t("criterion.label", lang, n=number)
    if lang in ("ky", "ru") and item.text_ky:
        # no official Russian text is at hand: Russian readers get the official Kyrgyz wording
        note = f" (*{t('concept.original_only', lang)}*)" if lang == "ru" else ""
        st.caption(f"**{label}** · «{item.text_ky}»{note}", help=concept.attribution())
    else:
        quote = item.text_en or item.text_ky
        note = t("concept.unofficial", lang)
        st.caption(
            f"**{label}** · “{quote}” (*{note}*)",
            help=f"{item.text_ky}\n\n{concept.attribution()}" if item.text_ky else concept.attribution(),
        )


def edit_model(
    model_cls: Any,
    values: Mapping[str, Any],
    *,
    key: str,
    lang: str,
    quoted: set[int] | None = None,
    depth: int = 0,
    catalogue: str = "crit",
) -> tuple[dict[str, Any], list[str]]:
    """Render widgets for each field of a pydantic model; return the edited data and errors.

    Parameters
    ----------
    model_cls
        The pydantic model class (e.g. ``Criteria``).
    values
        Current values (``model_dump(mode="json")`` of an instance).
    key
        Widget key prefix (change it to reset every widget to ``values``).
    lang
        Label language for captions.
    quoted
        Concept criteria already quoted on the page (each is quoted once).
    catalogue
        Catalogue key prefix of the model's fields (``crit`` for criteria, ``solver``).

    Returns
    -------
    (dict, list of str)
        The edited values and text errors for fields that could not be parsed (e.g. bad YAML).
    """
    quoted = set() if quoted is None else quoted
    out: dict[str, Any] = dict(values)
    errors: list[str] = []
    for name, field in model_cls.model_fields.items():
        annotation, optional = _unwrap(field.annotation)
        current = values.get(name)
        number = concept.criterion_for_field(name, field.description)
        widget_key = f"{key}.{name}"
        path = f"{catalogue}.{name}"
        if _is_model(annotation):
            if depth == 0:
                with st.expander(_label(path, field, lang), expanded=name in ("exemptions",)):
                    if number and number not in quoted:
                        quoted.add(number)
                        quote_criterion(number, lang)
                    sub, sub_errors = edit_model(
                        annotation, current or {}, key=widget_key, lang=lang, quoted=quoted, depth=depth + 1,
                        catalogue=path,
                    )
            else:
                st.markdown(f"**{_label(path, field, lang)}**")
                sub, sub_errors = edit_model(
                    annotation, current or {}, key=widget_key, lang=lang, quoted=quoted, depth=depth + 1,
                    catalogue=path,
                )
            out[name] = sub
            errors.extend(f"{name}.{e}" for e in sub_errors)
            continue
        if number and number not in quoted and depth == 0:
            quoted.add(number)
            quote_criterion(number, lang)
        value, error = _widget(path, field, annotation, optional, current, widget_key, lang)
        out[name] = value
        if error:
            errors.append(f"{name}: {error}")
    return out, errors


def _widget(
    path: str, field: FieldInfo, annotation: Any, optional: bool, current: Any, key: str, lang: str
) -> tuple[Any, str | None]:
    name = path.rsplit(".", 1)[-1]
    label = _label(path, field, lang)
    # the help text's "Default ..." is the field's own default (never restated in the catalogue)
    help_text = field_help(path, lang, field.description or None, default=field.get_default(call_default_factory=True))
    if typing.get_origin(annotation) is Literal:
        options = list(typing.get_args(annotation))
        if optional:
            options = [None, *options]
        index = options.index(current) if current in options else 0
        st.session_state.setdefault(CHOICE_WIDGETS, set()).add(key)
        return (
            st.selectbox(
                label, options, index=index, key=key, help=help_text,
                format_func=lambda v: option_label(name, v, lang),
            ),
            None,
        )
    if annotation is bool:
        return st.checkbox(label, value=bool(current), key=key, help=help_text), None
    if annotation in (int, float):
        is_int = annotation is int
        low, high = _bounds(field)
        step = _step(name, is_int)
        cast = int if is_int else float
        value = None if current is None else cast(current)
        kwargs: dict[str, Any] = {"step": step, "key": key, "help": help_text}
        if low is not None:
            kwargs["min_value"] = cast(low)
        if high is not None:
            kwargs["max_value"] = cast(high)
        if not is_int:
            kwargs["format"] = "%.0f" if step >= 1 else "%.2f"
        if optional:
            kwargs["placeholder"] = t("sidebar.no_limit", lang)
        return st.number_input(label, value=value, **kwargs), None
    if annotation is str:
        return st.text_input(label, value="" if current is None else str(current), key=key, help=help_text), None
    # Lists, mappings and unions: edited as one line of YAML.
    text = yaml.safe_dump(current, default_flow_style=True, allow_unicode=True).strip() if current not in (None, "") else ""
    if text.endswith("..."):
        text = text[:-3].strip()
    raw = st.text_input(label, value=text, key=key, help=(help_text or "") + "\n\n" + t("crit.yaml_hint", lang))
    if not raw.strip():
        return (None if optional else type(current)() if isinstance(current, (list, dict)) else current), None
    try:
        return yaml.safe_load(raw), None
    except yaml.YAMLError as exc:
        return current, t("crit.bad_yaml", lang, text=str(exc).splitlines()[0])
    except RecursionError:  # thousands of nested brackets: PyYAML's composer recurses
        return current, t("crit.bad_yaml", lang, text="nested too deeply")
