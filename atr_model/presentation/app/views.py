"""The app's views: map, compare, manual edits, downloads and the Concept's text."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from atr_model.criteria import DEFAULT_POPULATION_FLOOR
from atr_model.presentation import maps
from atr_model.presentation.report import decision_text
from atr_model.presentation.app import backend, cache, concept, state
from atr_model.presentation.app.folium_view import RenderedMap, render_map, show_map
from atr_model.presentation.app.backend import EDIT_ACTIONS, Edit, ResultView
from atr_model.presentation.i18n import (
    LANGUAGES,
    estimate_note,
    format_number,
    kpi_label,
    status_label,
    t,
    translit_note,
    travel_model_label,
)

if TYPE_CHECKING:
    from atr_model.presentation.app.main import AppContext

__all__ = ["view_map", "view_compare", "view_edits", "view_downloads", "view_concept", "MAP_RETURNED_OBJECTS"]

logger = logging.getLogger(__name__)

#: Only clicks come back from the map: panning or zooming never reruns the page.
MAP_RETURNED_OBJECTS = ["last_object_clicked_tooltip"]
MAP_HEIGHT = 620


def _current_result(ctx: AppContext) -> ResultView | None:
    folder = st.session_state.get("result_folder")
    if not folder or not Path(folder).exists():
        return None
    return cache.result(folder)


def _show_map(rendered: RenderedMap, key: str) -> dict[str, Any]:
    out = show_map(rendered, key=key, height=MAP_HEIGHT, returned_objects=MAP_RETURNED_OBJECTS)
    clicked = (out or {}).get("last_object_clicked_tooltip")
    if clicked:
        st.session_state["clicked_tooltip"] = clicked
    return out or {}


@st.cache_resource(show_spinner=False, max_entries=16)
def _result_map(folder: str, lang: str, source: str, build_id: str, _scenario: Any = None) -> RenderedMap:
    """The result's map, built and rendered once per result, language and dataset."""
    result = cache.result(folder)
    return render_map(maps.result_map(
        cache.layers(source, build_id),
        result.assignments,
        new_units=result.new_units,
        links=cache.links(source, _scenario) if _scenario is not None else None,
        lang=lang,
        travel_model_label=result.travel_model_label,
    ))


@st.cache_resource(show_spinner=False, max_entries=8)
def _dataset_map(dataset_key: str, build_id: str, lang: str, floor: float) -> RenderedMap:
    return render_map(maps.dataset_map(cache.layers(dataset_key, build_id), lang=lang, population_floor=floor))


@st.cache_resource(show_spinner=False, max_entries=8)
def _diff_map(
    folder_a: str, folder_b: str, label_a: str, label_b: str, lang: str, dataset_key: str, build_id: str
) -> RenderedMap:
    a, b = cache.result(folder_a), cache.result(folder_b)
    return render_map(maps.diff_map(
        cache.layers(dataset_key, build_id), a.assignments, b.assignments,
        _comparison(folder_a, folder_b).changed_units["unit_code"].astype(str), label_a=label_a, label_b=label_b,
        lang=lang,
    ))


@st.cache_data(show_spinner=False, max_entries=16)
def _comparison(folder_a: str, folder_b: str) -> Any:
    return backend.compare_folders(folder_a, folder_b)


def _kpi_number(value: Any) -> str:
    """A KPI cell: whole numbers without decimals, others with one."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "–"
    if pd.isna(number):
        return "–"
    return f"{number:,.0f}" if abs(number - round(number)) < 1e-9 or abs(number) >= 1000 else f"{number:,.1f}"


def _kpi_frame(comparison: Any, label_a: str, label_b: str, lang: str) -> pd.DataFrame:
    """KPI table of a comparison: translated labels, numbers formatted as text."""
    table = comparison.kpis.copy()
    table = table[~table["kpi"].astype(str).str.startswith(("estimated_share.", "new_unit_population_distribution."))]
    for column in ("a", "b", "delta"):
        table[column] = [_kpi_number(v) for v in table[column]]
    table["kpi"] = [kpi_label(k, lang) for k in table["kpi"]]
    return table.rename(
        columns={"kpi": t("kpi.metric", lang), "a": label_a, "b": label_b, "delta": t("kpi.delta", lang)}
    )


# ---------------------------------------------------------------------------------------------
# map view


def _metric(column: Any, label: str, value: Any, delta: Any = None, *, digits: int = 0, inverse: bool = False) -> None:
    text = format_number(value, st.session_state.get("lang", "en"), digits=digits)
    delta_text = None if delta is None or pd.isna(delta) else format_number(delta, st.session_state.get("lang", "en"), digits=digits)
    if delta_text is not None and not delta_text.startswith("-") and float(delta) > 0:
        delta_text = "+" + delta_text
    column.metric(label, text, delta_text, delta_color="inverse" if inverse else "normal", border=True)


def _kpi_row(result: ResultView, lang: str) -> None:
    k = result.kpis
    cols = st.columns(5)
    before, after = k.get("units_before"), k.get("units_after")
    _metric(cols[0], t("kpi.units_after", lang), after, None if before is None or after is None else after - before, inverse=True)
    bf_before = k.get("below_floor_before_non_exempt", k.get("below_floor_before"))
    bf_after = k.get("below_floor_after_non_exempt", k.get("below_floor_after"))
    label = t("kpi.below_floor_ne" if "below_floor_after_non_exempt" in k else "kpi.below_floor", lang)
    _metric(
        cols[1], label, bf_after,
        None if bf_before is None or bf_after is None else bf_after - bf_before, inverse=True,
    )
    _metric(cols[2], t("kpi.mean_travel", lang), k.get("population_weighted_mean_travel_min"), digits=1)
    _metric(cols[3], t("kpi.worst_travel", lang), k.get("worst_travel_min"))
    solver = k.get("solver", {}) or {}
    optimal = t("kpi.optimal", lang) if solver.get("proven_optimal") else t("kpi.not_optimal", lang)
    seconds = format_number(solver.get("seconds"), lang, digits=1)
    cols[4].metric(
        f"{t('kpi.solver', lang)} ({solver.get('solver', '–')})", optimal,
        f"{seconds} s", delta_color="off", delta_arrow="off", border=True,
    )


def _units_table(result: ResultView, ctx: AppContext) -> None:
    lang = ctx.lang
    table = result.assignments.copy()
    names = {}
    if ctx.layers is not None:
        names = maps.unit_names(ctx.layers, lang)
    table.insert(1, "name", [names.get(c, n) for c, n in zip(table["unit_code"], table.get("unit_name", table["unit_code"]))])
    est = table.get("population_is_estimate", pd.Series(False, index=table.index)).astype(bool)
    table["population_text"] = [format_number(p, lang, is_estimate=e) for p, e in zip(table["population"], est)]
    table["status_text"] = [status_label(s, lang) for s in table["status"]]
    if lang in ("ky", "ru"):
        # the engine explains in English: Kyrgyz and Russian get the decision composed from the row
        sizes = {str(k): (int(v["size"]), float(v["sum"]))
                 for k, v in table.groupby("new_unit_id")["population"].agg(["size", "sum"]).iterrows()}
        table["reason"] = [
            decision_text(r, lang, names, sizes).split(": ", 1)[-1]
            if r.get("status") in ("merged", "centre") or (isinstance(r.get("exempt_rules"), str) and r["exempt_rules"])
            else ""
            for r in table.to_dict("records")
        ]
    st.subheader(t("units.table", lang))
    c1, c2 = st.columns([2, 3])
    statuses = sorted(table["status"].unique())
    chosen = c1.multiselect(
        t("units.filter", lang), statuses, default=statuses, format_func=lambda s: status_label(s, lang), key="status_filter"
    )
    query = c2.text_input(t("units.search", lang), key="unit_search")
    shown = table[table["status"].isin(chosen)]
    if query:
        mask = shown["name"].str.contains(query, case=False, na=False) | shown["unit_code"].str.contains(query, case=False)
        shown = shown[mask]
    columns = {
        "unit_code": t("field.code", lang), "name": t("field.name", lang), "raion_code": t("field.raion", lang),
        "status_text": t("field.status", lang), "new_unit_id": t("field.new_unit", lang),
        "population_text": t("field.population", lang), "reason": t("field.reason", lang),
    }
    st.dataframe(
        shown[[c for c in columns if c in shown.columns]].rename(columns=columns),
        hide_index=True, width="stretch", height=320,
    )
    if ctx.layers is not None:
        units = ctx.layers.units
        note = translit_note(units[[c for c in ("name_en", "name_ky", "name_ru") if c in units]].to_dict("records"), lang)
        if note:
            st.caption(note)


def _passport(result: ResultView, ctx: AppContext) -> None:
    lang = ctx.lang
    if result.new_units.empty:
        return
    merged = result.new_units[result.new_units.get("n_members", pd.Series(1, index=result.new_units.index)) > 1]
    if merged.empty:
        return
    ids = list(merged["new_unit_id"].astype(str))
    st.subheader(t("passport.title", lang))
    uid = st.selectbox(t("passport.pick", lang), ids, key="passport_pick")
    row = merged.set_index(merged["new_unit_id"].astype(str)).loc[uid]
    est = bool(row.get("population_has_estimates", False))
    cols = st.columns(4)
    cols[0].metric(t("field.population", lang), format_number(row.get("population"), lang, is_estimate=est))
    cols[1].metric(t("field.area", lang), format_number(row.get("area_km2"), lang, digits=1))
    cols[2].metric(t("field.travel_mean", lang), format_number(row.get("travel_time_mean_min"), lang, digits=1))
    cols[3].metric(t("field.travel_max", lang), format_number(row.get("travel_time_max_min"), lang))
    names = {}
    if ctx.layers is not None:
        names = maps.unit_names(ctx.layers, lang)
    members = [m for m in str(row.get("members", "")).split(";") if m]
    st.markdown(
        f"**{t('field.centre', lang)}:** {names.get(str(row.get('centre_code')), row.get('centre_name', ''))} · "
        f"**{t('field.members', lang)}:** {', '.join(names.get(m, m) for m in members)}"
    )
    if isinstance(row.get("estimated_inputs"), str) and row.get("estimated_inputs"):
        st.caption(f"≈ {t('field.estimates', lang)}: {estimate_note(row.get('estimated_inputs'), lang)}")


def view_map(ctx: AppContext) -> None:
    """Current units and, after a run, the proposed new units with KPIs and explanations."""
    lang = ctx.lang
    if ctx.dataset is None or ctx.layers is None:
        return
    result = _current_result(ctx)
    if result is None:
        st.info(t("run.none_yet", lang))
        floor = float(getattr(getattr(ctx.scenario, "criteria", None), "population_floor", DEFAULT_POPULATION_FLOOR) or DEFAULT_POPULATION_FLOOR)
        _show_map(_dataset_map(ctx.source, ctx.dataset.build_id, lang, floor), key="dataset_map")
        return
    if ctx.scenario_hash and st.session_state.get("result_hash") != ctx.scenario_hash:
        st.warning(t("run.stale", lang))
    _kpi_row(result, lang)
    fmap = _result_map(str(result.folder), lang, ctx.source, ctx.dataset.build_id, ctx.scenario)
    _show_map(fmap, key="result_map")
    if result.travel_model_label:
        label = travel_model_label(result.travel_model_label, lang)
        st.caption(f"{t('field.travel_model', lang)}: {label} · {t('map.estimate_note', lang)}")
    _passport(result, ctx)
    _units_table(result, ctx)


# ---------------------------------------------------------------------------------------------
# compare view


def _compare_choices(lang: str) -> dict[str, str]:
    choices = {"current": t("compare.current", lang)}
    choices.update({str(p): p.stem for p in backend.scenario_files()})
    return choices


def _folder_for(choice: str, ctx: AppContext) -> str:
    from atr_model.presentation.app.main import scenario_from_choice

    scenario = ctx.scenario if choice == "current" else scenario_from_choice(choice)
    if scenario is None:
        raise backend.ScenarioError("the current scenario is not valid; fix the criteria in the sidebar")
    return cache.run(ctx.source, backend.with_dataset(scenario, ctx.dataset_key))


def view_compare(ctx: AppContext) -> None:
    """Two scenarios side by side: KPI table, units that differ, a difference map."""
    lang = ctx.lang
    st.subheader(t("compare.title", lang))
    if ctx.dataset is None or not backend.runner_available():
        st.info(t("run.unavailable", lang))
        return
    choices = _compare_choices(lang)
    keys = list(choices)
    c1, c2, c3 = st.columns([3, 3, 1])
    a = c1.selectbox(t("compare.a", lang), keys, index=0, format_func=lambda k: choices[k], key="compare_a")
    default_b = next((i for i, k in enumerate(keys) if k != a and "status" in k), min(1, len(keys) - 1))
    b = c2.selectbox(t("compare.b", lang), keys, index=default_b, format_func=lambda k: choices[k], key="compare_b")
    c3.write("")
    if c3.button(t("compare.run", lang), key="compare_run", type="primary"):
        with st.spinner(t("run.status", lang)):
            st.session_state["compare"] = (_folder_for(a, ctx), _folder_for(b, ctx), choices[a], choices[b])
    chosen = st.session_state.get("compare")
    if not chosen:
        return
    folder_a, folder_b, label_a, label_b = chosen
    comparison = _comparison(folder_a, folder_b)
    n_differ = len(comparison.changed_units)
    left, right = st.columns([2, 3])
    with left:
        st.markdown(f"**{t('kpi.table', lang)}**")
        st.dataframe(_kpi_frame(comparison, label_a, label_b, lang), hide_index=True, width="stretch", height=360)
    with right:
        if n_differ:
            st.markdown(f"**{t('compare.differ', lang, n=n_differ)}**")
            st.dataframe(_differ_table(comparison, label_a, label_b, ctx), hide_index=True, width="stretch", height=324)
        else:
            st.success(t("compare.same", lang))
    st.markdown(f"**{t('compare.diff_map', lang)}**")
    _show_map(_diff_map(folder_a, folder_b, label_a, label_b, lang, ctx.source, ctx.dataset.build_id), key="diff_map")


def _differ_table(comparison: Any, label_a: str, label_b: str, ctx: AppContext) -> pd.DataFrame:
    lang = ctx.lang
    names = maps.unit_names(ctx.layers, lang) if ctx.layers is not None else {}

    def listed(codes: str) -> str:
        return ", ".join(names.get(c, c) for c in str(codes).split(";") if c)

    changed = comparison.changed_units
    return pd.DataFrame({
        t("field.code", lang): changed["unit_code"],
        t("field.name", lang): [names.get(str(c), n) for c, n in zip(changed["unit_code"], changed["unit_name"])],
        f"{t('field.new_unit', lang)} ({label_a})": changed["new_unit_id_a"],
        f"{t('field.new_unit', lang)} ({label_b})": changed["new_unit_id_b"],
        t("compare.joined", lang): [listed(v) for v in changed["joined"]],
        t("compare.left", lang): [listed(v) for v in changed["left"]],
    })


# ---------------------------------------------------------------------------------------------
# manual edits view


def _unit_options(ctx: AppContext) -> tuple[list[str], dict[str, str]]:
    names = {code: f"{name} ({code})" for code, name in maps.unit_names(ctx.layers, ctx.lang).items()}
    return sorted(names, key=lambda c: names[c]), names


def _clicked_unit(options: list[str], ctx: AppContext) -> int:
    """Index of the unit last clicked on the map (its tooltip starts with its name)."""
    tooltip = str(st.session_state.get("clicked_tooltip") or "")
    names = maps.unit_names(ctx.layers, ctx.lang)
    for index, code in enumerate(options):
        if tooltip.startswith(names.get(code, code) + " —") or tooltip == names.get(code, code):
            return index
    return 0


def view_edits(ctx: AppContext) -> None:
    """Keep a unit separate, force or forbid a pair, exempt a unit; undo; re-solve."""
    lang = ctx.lang
    st.subheader(t("edits.title", lang))
    st.caption(t("edits.help", lang))
    if ctx.layers is None:
        return
    options, names = _unit_options(ctx)
    c1, c2 = st.columns([3, 2])
    unit = c1.selectbox(t("edits.unit", lang), options, index=_clicked_unit(options, ctx), format_func=names.get, key="edit_unit")
    action = c2.radio(
        t("edits.action", lang), EDIT_ACTIONS, format_func=lambda a: t(f"edits.{a}", lang), key="edit_action", horizontal=False
    )
    other, reason = "", ""
    if action in ("together", "apart"):
        other = c1.selectbox(t("edits.other", lang), options, format_func=names.get, key="edit_other")
    if action == "exempt":
        reason = c1.text_input(t("edits.reason", lang), key="edit_reason")
    b1, b2, b3, b4 = st.columns(4)
    if b1.button(t("edits.add", lang), key="edit_add"):
        if action in ("together", "apart") and other == unit:
            st.warning(t("edits.same_unit", lang))
        else:
            state.push_edit(st.session_state, Edit(action, unit, other, reason))
            st.rerun()
    if b2.button(t("edits.undo", lang), key="edit_undo", disabled=not state.edits(st.session_state)):
        state.undo_edit(st.session_state)
        st.rerun()
    if b3.button(t("edits.clear", lang), key="edit_clear", disabled=not state.edits(st.session_state)):
        state.clear_edits(st.session_state)
        st.rerun()
    resolve = b4.button(t("edits.resolve", lang), key="edit_resolve", type="primary", disabled=ctx.scenario is None)
    edits = state.edits(st.session_state)
    st.markdown(f"**{t('edits.list', lang)}**")
    if edits:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("edits.action", lang): t(f"edits.{e.action}", lang),
                        t("edits.unit", lang): names.get(e.unit, e.unit),
                        t("edits.other", lang): names.get(e.other, e.other) if e.other else "",
                        t("edits.reason", lang): e.reason,
                    }
                    for e in edits
                ]
            ),
            hide_index=True, width="stretch",
        )
    else:
        st.caption(t("edits.empty", lang))
    if resolve:
        from atr_model.presentation.app.main import run_current

        run_current(ctx)
    _what_changed(ctx)


def _what_changed(ctx: AppContext) -> None:
    lang = ctx.lang
    current, previous = st.session_state.get("result_folder"), st.session_state.get("previous_folder")
    if not current or not previous or current == previous or not Path(previous).exists():
        return
    before, after = t("compare.before", lang), t("compare.after", lang)
    comparison = _comparison(previous, current)
    st.markdown(f"**{t('compare.differ', lang, n=len(comparison.changed_units))}** ({before} → {after})")
    if len(comparison.changed_units):
        st.dataframe(_differ_table(comparison, before, after, ctx), hide_index=True, width="stretch")
    st.dataframe(_kpi_frame(comparison, before, after, lang), hide_index=True, width="stretch")
    if len(comparison.changed_units) and ctx.layers is not None:
        _show_map(
            _diff_map(previous, current, before, after, lang, ctx.source, ctx.dataset.build_id), key="edits_diff_map"
        )


# ---------------------------------------------------------------------------------------------
# downloads and Concept views


def _report_html(result: ResultView, lang: str = "en") -> bytes | None:
    try:
        return backend.report_html(result.folder, lang)
    except Exception as exc:  # the report is a bonus; the folder download still works
        logger.warning("report rendering failed for %s: %s", result.folder, exc)
        return None


@st.cache_data(show_spinner=False, max_entries=8)
def _zip(folder: str, lang: str = "en", _raions: Any = None) -> bytes:
    return backend.download_zip(Path(folder), lang, _raions)


@st.cache_data(show_spinner=False, max_entries=8)
def _summary(folder: str, lang: str, _raions: Any = None) -> bytes:
    return backend.summary_html(Path(folder), lang, _raions)


@st.cache_data(show_spinner=False, max_entries=8)
def _map_png(folder: str, lang: str) -> bytes:
    return backend.map_image(Path(folder), lang)


def _raion_names(ctx: AppContext) -> dict[str, str]:
    from atr_model.presentation.summary import raion_names

    return raion_names(ctx.dataset.raions if ctx.dataset is not None else None, ctx.lang)


def view_downloads(ctx: AppContext) -> None:
    """The result package and its parts, and the scenario YAML (with edits) for the CLI."""
    lang = ctx.lang
    st.subheader(t("downloads.title", lang))
    result = _current_result(ctx)
    if ctx.scenario is not None:
        # portable: `dataset: kyrgyz` / `demo`, never this machine's cache path
        text = backend.portable_scenario_yaml(ctx.scenario, ctx.dataset_key)
        name = f"{getattr(ctx.scenario, 'name', 'scenario')}.yaml"
        st.download_button(f"⬇ {t('downloads.yaml', lang)}", text, file_name=name, mime="application/x-yaml", key="dl_yaml")
        data_arg = backend.portable_dataset(ctx.dataset_key)
        st.caption(t("downloads.cli", lang) + (f" ({t('downloads.whole', lang)})" if ctx.raion else ""))
        st.code(f"atr-model run {name} --data {data_arg} --out results/{getattr(ctx.scenario, 'name', 'scenario')}", language="bash")
    if result is None:
        st.info(t("run.none_yet", lang))
        return
    folder = result.folder
    stem = f"atr-{folder.name}"
    raions = _raion_names(ctx)
    council = st.columns(3)
    council[0].download_button(
        f"⬇ {t('downloads.summary', lang)}", _summary(str(folder), lang, raions), file_name=f"{stem}-summary-{lang}.html",
        mime="text/html", key="dl_summary", help=t("downloads.summary_help", lang),
    )
    try:
        png = _map_png(str(folder), lang)
    except ValueError:
        council[1].button(t("downloads.png", lang), disabled=True, help=t("downloads.missing", lang), key="dl_png_off")
    else:
        council[1].download_button(
            f"⬇ {t('downloads.png', lang)}", png, file_name=f"{stem}-map.png", mime="image/png", key="dl_png",
            help=t("downloads.png_help", lang),
        )
    council[2].download_button(
        f"⬇ {t('downloads.zip', lang)}", _zip(str(folder), lang, raions), file_name=f"{stem}.zip",
        mime="application/zip", key="dl_zip", help=t("downloads.zip_help", lang),
    )
    files = [
        ("downloads.gpkg", "new_units.gpkg", "application/geopackage+sqlite3"),
        ("downloads.csv", "assignments.csv", "text/csv"),
        ("downloads.xlsx", None, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ]
    cols = st.columns(4)
    for col, (label, name, mime) in zip(cols, files):
        path = folder / name if name else next(iter(sorted(folder.glob("*.xlsx"))), None)
        if path is not None and path.exists():
            col.download_button(f"⬇ {t(label, lang)}", path.read_bytes(), file_name=f"{stem}-{path.name}", mime=mime, key=f"dl_{label}")
        else:
            col.button(t(label, lang), disabled=True, help=t("downloads.missing", lang), key=f"dl_{label}_off")
    html = _report_html(result, lang)
    if html is not None:
        cols[3].download_button(
            f"⬇ {t('downloads.html', lang)}", html, file_name=f"{stem}-report-{lang}.html", mime="text/html", key="dl_html"
        )
    else:
        cols[3].button(t("downloads.html", lang), disabled=True, help=t("downloads.missing", lang), key="dl_html_off")


def view_concept(ctx: AppContext) -> None:
    """The Concept's six criteria, Kyrgyz original beside the unofficial English translation."""
    lang = ctx.lang
    st.subheader(t("concept.title", lang))
    items = concept.concept_criteria()
    if not items:
        st.info(t("concept.missing", lang))
        return
    if lang in ("ky", "ru"):
        # the official text is Kyrgyz; the English translation is unofficial: one click away
        st.caption(t("report.concept_source", lang))
        for item in items:
            st.markdown(f"**{t('criterion.label', lang, n=item.number)}** · {t('concept.original', lang)}\n\n> {item.text_ky}")
        with st.expander(f"{t('concept.english', lang)} ({t('concept.unofficial', lang)})"):
            st.caption(concept.attribution())
            for item in items:
                st.markdown(f"**{item.number}.** {item.text_en}")
        return
    st.caption(concept.attribution())
    for item in items:
        left, right = st.columns(2)
        left.markdown(f"**{t('criterion.label', lang, n=item.number)}** · {t('concept.original', lang)}\n\n> {item.text_ky}")
        right.markdown(
            f"**{t('criterion.label', lang, n=item.number)}** · {t('concept.english', lang)} "
            f"({t('concept.unofficial', lang)})\n\n> {item.text_en}"
        )


from atr_model.presentation.app.robustness_view import view_robustness  # noqa: E402,F401  (issue 14)
