"""The app's views: map (click to select, search, locks), manual edits, downloads, the Concept.

Compare and the plan check live in :mod:`.compare_view` and :mod:`.plan_view`; their entry
points are re-exported here so the page dispatches every view from one module.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from atr_model.criteria import Criteria
from atr_model.presentation import maps
from atr_model.presentation.app import backend, cache, concept, state
from atr_model.presentation.app.backend import EDIT_ACTIONS, Edit, ResultView
from atr_model.presentation.app.compare_view import differ_table, view_compare
from atr_model.presentation.app.context import AppContext, run_current
from atr_model.presentation.app.mapping import (
    BELOW_FLOOR_KPIS,
    MAP_RETURNED_OBJECTS,
    comparison,
    diff_map,
    kpi_definition,
    kpi_html,
    kpi_rows,
    dataset_map,
    reports_user_view,
    result_map,
    select_unit,
    show_clickable_map,
    view_bounds,
)
from atr_model.presentation.app.plan_view import view_plan
from atr_model.presentation.app.robustness_view import SESSION_KEY as ROBUSTNESS_KEY, view_robustness
from atr_model.presentation.i18n import (
    estimate_note,
    format_number,
    status_label,
    t,
    translit_note,
    travel_model_label,
)
from atr_model.presentation.messages import render_reason, result_unit_names
from atr_model.presentation.report import raion_names
from atr_model.scenarios import Scenario

__all__ = [
    "view_map",
    "view_compare",
    "view_edits",
    "view_plan",
    "view_downloads",
    "view_concept",
    "view_robustness",
    "MAP_RETURNED_OBJECTS",
]

logger = logging.getLogger(__name__)

#: Session key of the result map's last view: ``{"folder": ..., "bounds": ((s, w), (n, e)) or None}``.
MAP_VIEW_KEY = "result_map_view"


def _current_result(ctx: AppContext) -> ResultView | None:
    folder = st.session_state.get("result_folder")
    if not folder or not Path(folder).exists():
        return None
    return cache.result(folder)


# ---------------------------------------------------------------------------------------------
# map view


def _metric(
    column: Any, label: str, value: Any, delta: Any = None, *, digits: int = 0, inverse: bool = False,
    estimate: bool = False, help: str | None = None,
) -> None:
    lang = st.session_state.get("lang", "en")
    text = format_number(value, lang, digits=digits)
    if estimate and text != "–":
        text = f"≈ {text}"
    delta_text = None if delta is None or pd.isna(delta) else format_number(delta, lang, digits=digits)
    if delta_text is not None and not delta_text.startswith("-") and float(delta) > 0:
        delta_text = "+" + delta_text
    column.metric(label, text, delta_text, delta_color="inverse" if inverse else "normal", border=True, help=help)


def _estimate(label: str, lang: str) -> str:
    return f"≈ {label} ({t('estimate.suffix', lang)})"


def _kpi_row(result: ResultView, lang: str) -> None:
    k = result.kpis
    cols = st.columns(5)
    before, after = k.get("units_before"), k.get("units_after")
    _metric(
        cols[0], t("kpi.units_after", lang), after, None if before is None or after is None else after - before,
        inverse=True, help=kpi_definition("units_after", lang),
    )
    # One definition of "below the floor" everywhere (see mapping.BELOW_FLOOR_KPIS).
    name_before, name_after = BELOW_FLOOR_KPIS
    bf_before, bf_after = k.get(name_before), k.get(name_after)
    _metric(
        cols[1], t("kpi.below_floor_ne", lang), bf_after,
        None if bf_before is None or bf_after is None else bf_after - bf_before, inverse=True,
        help=kpi_definition(name_after, lang),
    )
    _metric(
        cols[2], _estimate(t("kpi.mean_travel", lang), lang), k.get("population_weighted_mean_travel_min"), digits=1,
        estimate=True, help=kpi_definition("population_weighted_mean_travel_min", lang),
    )
    _metric(
        cols[3], _estimate(t("kpi.worst_travel", lang), lang), k.get("worst_travel_min"), estimate=True,
        help=kpi_definition("worst_travel_min", lang),
    )
    solver = k.get("solver", {}) or {}
    optimal = t("kpi.optimal", lang) if solver.get("proven_optimal") else t("kpi.not_optimal", lang)
    seconds = format_number(solver.get("seconds"), lang, digits=1)
    cols[4].metric(
        f"{t('kpi.solver', lang)} ({solver.get('solver', '–')})", optimal,
        f"{seconds} s", delta_color="off", delta_arrow="off", border=True,
    )


def _reason_names(result: ResultView, ctx: AppContext) -> dict[str, str]:
    """Unit code -> name in the interface's language for the engine's sentences: the map's names,
    else the result's own name columns."""
    names = result_unit_names(result.assignments, ctx.lang)
    if ctx.layers is not None:
        names.update(maps.unit_names(ctx.layers, ctx.lang))
    return names


def _units_table(result: ResultView, ctx: AppContext) -> None:
    lang = ctx.lang
    table = result.assignments.copy()
    names = maps.unit_names(ctx.layers, lang) if ctx.layers is not None else {}
    table.insert(1, "name", [names.get(c, n) for c, n in zip(table["unit_code"], table.get("unit_name", table["unit_code"]))])
    est = table.get("population_is_estimate", pd.Series(False, index=table.index)).astype(bool)
    table["population_text"] = [format_number(p, lang, is_estimate=e) for p, e in zip(table["population"], est)]
    table["status_text"] = [status_label(s, lang) for s in table["status"]]
    # the engine's reason from its code and values, in the interface's language
    reason_names = _reason_names(result, ctx)
    table["reason"] = [render_reason(r, lang, reason_names) for r in table.to_dict("records")]
    st.subheader(t("units.table", lang))
    c1, c2 = st.columns([2, 3])
    statuses = sorted(table["status"].unique())
    chosen = c1.multiselect(
        t("units.filter", lang), statuses, default=statuses, format_func=lambda s: status_label(s, lang), key="status_filter"
    )
    query = c2.text_input(t("units.search", lang), key="unit_search")
    shown = table[table["status"].isin(chosen)]
    if query:
        mask = shown["name"].str.contains(query, case=False, na=False, regex=False)
        shown = shown[mask | shown["unit_code"].str.contains(query, case=False, regex=False)]
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


def _new_unit_passport(result: ResultView, uid: str, ctx: AppContext) -> None:
    """Key figures of one new unit; travel times and area are estimates and say so."""
    lang = ctx.lang
    table = result.new_units.set_index(result.new_units["new_unit_id"].astype(str))
    if uid not in table.index:
        return
    row = table.loc[uid]
    est = bool(row.get("population_has_estimates", False))
    cols = st.columns(4)
    cols[0].metric(t("field.population", lang), format_number(row.get("population"), lang, is_estimate=est))
    cols[1].metric(_estimate(t("field.area", lang), lang), "≈ " + format_number(row.get("area_km2"), lang, digits=1))
    cols[2].metric(
        _estimate(t("field.travel_mean", lang), lang), "≈ " + format_number(row.get("travel_time_mean_min"), lang, digits=1)
    )
    cols[3].metric(_estimate(t("field.travel_max", lang), lang), "≈ " + format_number(row.get("travel_time_max_min"), lang))
    names = maps.unit_names(ctx.layers, lang) if ctx.layers is not None else {}
    members = [m for m in str(row.get("members", "")).split(";") if m]
    st.markdown(
        f"**{t('field.centre', lang)}:** {names.get(str(row.get('centre_code')), row.get('centre_name', ''))} · "
        f"**{t('field.members', lang)}:** {', '.join(names.get(m, m) for m in members)}"
    )
    if isinstance(row.get("estimated_inputs"), str) and row.get("estimated_inputs"):
        st.caption(f"≈ {t('field.estimates', lang)}: {estimate_note(row.get('estimated_inputs'), lang)}")


def _passport(result: ResultView, ctx: AppContext) -> None:
    """The passport of a merged new unit: the selected unit's, else one picked from a list."""
    lang = ctx.lang
    if result.new_units.empty:
        return
    sizes = result.new_units.get("n_members", pd.Series(1, index=result.new_units.index))
    merged = result.new_units[sizes > 1]
    if merged.empty:
        return
    ids = list(merged["new_unit_id"].astype(str))
    st.subheader(t("passport.title", lang))
    uid = st.selectbox(t("passport.pick", lang), ids, key="passport_pick")
    _new_unit_passport(result, uid, ctx)


def _search(ctx: AppContext) -> None:
    """A search box: a unit by name or code; picking one selects it and zooms the map to it."""
    lang = ctx.lang
    if ctx.layers is None:
        return
    names = maps.unit_names(ctx.layers, lang)
    c1, c2 = st.columns([2, 3], vertical_alignment="bottom")
    query = c1.text_input(t("search.label", lang), key="map_search", placeholder=t("search.placeholder", lang))
    if not query:
        c2.caption(t("select.hint", lang))  # beside the box: the map stays high on the page
        return
    hits = backend.find_units(names, query)
    if not hits:
        c2.caption(t("search.none", lang, query=query))
        return
    pick = c2.selectbox(
        t("search.pick", lang, n=len(hits)), hits, format_func=lambda c: f"{names[c]} ({c})", key="map_search_pick"
    )
    if pick and st.session_state.get("_search_seen") != (query, pick):
        st.session_state["_search_seen"] = (query, pick)
        select_unit(pick, zoom_to=True, ctx=ctx)


def _unit_facts(code: str, result: ResultView | None, ctx: AppContext) -> None:
    """The selected unit: status, new unit, population and travel time (estimates marked)."""
    lang = ctx.lang
    names = maps.unit_names(ctx.layers, lang) if ctx.layers is not None else {}
    st.markdown(f"**{t('select.title', lang)}:** {names.get(code, code)} ({code})")
    units = ctx.dataset.units.set_index(ctx.dataset.units["unit_code"].astype(str)) if ctx.dataset is not None else None
    if result is None:
        if units is not None and code in units.index:
            row = units.loc[code]
            est = bool(row.get("population_is_estimate", False))
            st.caption(f"{t('field.population', lang)}: {format_number(row.get('population'), lang, is_estimate=est)}")
        return
    table = result.assignments.set_index(result.assignments["unit_code"].astype(str))
    if code not in table.index:
        return
    row = table.loc[code]
    est = bool(row.get("population_is_estimate", False))
    travel = row.get("travel_time_to_centre_min")
    parts = [
        f"{t('field.status', lang)}: {status_label(str(row.get('status')), lang)}",
        f"{t('field.new_unit', lang)}: {row.get('new_unit_id')}",
        f"{t('field.population', lang)}: {format_number(row.get('population'), lang, is_estimate=est)}",
        f"{t('field.travel_to_centre', lang)}: {format_number(travel, lang, is_estimate=True)}",
    ]
    st.caption(" · ".join(parts))
    reason = render_reason(row, lang, _reason_names(result, ctx))
    if reason:
        st.caption(f"{t('field.reason', lang)}: {reason}")
    uid = str(row.get("new_unit_id"))
    if (result.assignments["new_unit_id"].astype(str) == uid).sum() > 1:
        with st.expander(t("passport.title", lang) + f": {uid}", expanded=False):
            _new_unit_passport(result, uid, ctx)


def _lock_panel(code: str, ctx: AppContext) -> None:
    """Locks for the selected unit (keep separate, together, apart), undo and re-solve."""
    lang = ctx.lang
    options = sorted(maps.unit_names(ctx.layers, lang)) if ctx.layers is not None else []
    names = maps.unit_names(ctx.layers, lang) if ctx.layers is not None else {}
    c1, c2 = st.columns([2, 3])
    actions = ("keep_separate", "together", "apart")
    action = c1.radio(
        t("select.lock", lang), actions, format_func=lambda a: t(f"edits.{a}", lang), key="select_action", horizontal=True
    )
    other = ""
    if action in ("together", "apart"):
        others = [c for c in options if c != code]
        other = c2.selectbox(
            t("edits.other", lang), others, format_func=lambda c: f"{names.get(c, c)} ({c})", key="select_other"
        ) or ""
    b1, b2, b3 = st.columns(3)
    if b1.button(t("select.add", lang), key="select_add", width="stretch"):
        state.push_edit(st.session_state, Edit(action, code, other))
        st.rerun()
    has_edits = bool(state.edits(st.session_state))
    if b2.button(t("edits.undo", lang), key="select_undo", disabled=not has_edits, width="stretch"):
        state.undo_edit(st.session_state)
        st.rerun()
    resolve = b3.button(t("edits.resolve", lang), key="select_resolve", type="primary", disabled=ctx.scenario is None,
                        width="stretch")
    edits = state.edits(st.session_state)
    if edits:
        st.caption(t("select.edits", lang, n=len(edits)) + ": " + "; ".join(
            f"{t(f'edits.{e.action}', lang)} {names.get(e.unit, e.unit)}" + (f" + {names.get(e.other, e.other)}" if e.other else "")
            for e in edits
        ))
    if resolve:
        run_current(ctx)


def _selection(ctx: AppContext, result: ResultView | None) -> None:
    code = st.session_state.get("selected_unit")
    if not code or ctx.layers is None or code not in ctx.layers.units.index:
        return  # the search box's help says how to select a unit
    with st.container(border=True):
        _unit_facts(code, result, ctx)
        _lock_panel(code, ctx)


def _first_screen(ctx: AppContext) -> None:
    """Before any run: the current units at once, and the default scenario one click away."""
    lang = ctx.lang
    c1, c2 = st.columns([3, 2], vertical_alignment="center")
    # an explicit icon: without one Streamlit scans the text for a leading emoji, and its
    # first scan compiles the emoji catalogue (0.2 s of the first map on a fresh server)
    c1.info(t("first.hint", lang, name=ctx.base_label or "–"), icon=":material/info:")
    short = ctx.base_scenario.name if ctx.base_scenario is not None else "–"
    if c2.button(t("first.run", lang, name=short), key="first_run", type="primary",
                 disabled=ctx.scenario is None, width="stretch"):
        run_current(ctx)


def view_map(ctx: AppContext) -> None:
    """Current units and, after a run, the proposed new units with KPIs, selection and locks."""
    lang = ctx.lang
    if ctx.dataset is None or ctx.layers is None or ctx.source is None:
        return
    result = _current_result(ctx)
    if result is None:
        _first_screen(ctx)
        criteria = ctx.scenario.criteria if ctx.scenario is not None else Criteria()
        rendered = dataset_map(ctx.source, ctx.dataset.build_id, lang, float(criteria.population_floor or 0))
    else:
        if ctx.scenario_hash and st.session_state.get("result_hash") != ctx.scenario_hash:
            st.warning(t("run.stale", lang))
        _kpi_row(result, lang)
        rendered = result_map(str(result.folder), lang, ctx.source, ctx.dataset.build_id, ctx.scenario)
    _search(ctx)
    _selection(ctx, result)
    if result is None:
        show_clickable_map(rendered, key="dataset_map", ctx=ctx)
        return
    # the result map also reports its view: the PNG download draws what is shown here
    shown = reports_user_view(rendered)
    out = show_clickable_map(shown, key="result_map", ctx=ctx, returned_objects=[*MAP_RETURNED_OBJECTS, "bounds"])
    st.session_state[MAP_VIEW_KEY] = {"folder": str(result.folder), "bounds": view_bounds(out, shown)}
    if result.travel_model_label:
        label = travel_model_label(result.travel_model_label, lang)
        st.caption(f"{t('field.travel_model', lang)}: {label} · {t('map.estimate_note', lang)}")
    _passport(result, ctx)
    _units_table(result, ctx)


# ---------------------------------------------------------------------------------------------
# manual edits view


def _unit_options(ctx: AppContext) -> tuple[list[str], dict[str, str]]:
    names = {code: f"{name} ({code})" for code, name in maps.unit_names(ctx.layers, ctx.lang).items()}
    return sorted(names, key=lambda c: names[c]), names


def _clicked_unit(options: list[str]) -> int:
    """Index of the unit selected on the map (by a click or a search), else 0."""
    selected = st.session_state.get("selected_unit")
    return options.index(selected) if selected in options else 0


def view_edits(ctx: AppContext) -> None:
    """Keep a unit separate, force or forbid a pair, exempt a unit; undo; re-solve."""
    lang = ctx.lang
    st.subheader(t("edits.title", lang))
    st.caption(t("edits.help", lang))
    if ctx.layers is None:
        return
    options, names = _unit_options(ctx)
    c1, c2 = st.columns([3, 2])
    unit = c1.selectbox(t("edits.unit", lang), options, index=_clicked_unit(options), format_func=names.get, key="edit_unit")
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
        run_current(ctx)
    _what_changed(ctx)


def _what_changed(ctx: AppContext) -> None:
    lang = ctx.lang
    current, previous = st.session_state.get("result_folder"), st.session_state.get("previous_folder")
    if not current or not previous or current == previous or not Path(previous).exists():
        return
    before, after = t("compare.before", lang), t("compare.after", lang)
    changes = comparison(previous, current)
    st.markdown(f"**{t('compare.differ', lang, n=len(changes.changed_units))}** ({before} → {after})")
    if len(changes.changed_units):
        st.dataframe(differ_table(changes, before, after, ctx), hide_index=True, width="stretch")
    st.markdown(kpi_html(kpi_rows(changes.kpis, lang), before, after, lang), unsafe_allow_html=True)
    if len(changes.changed_units) and ctx.layers is not None and ctx.dataset is not None and ctx.source is not None:
        show_clickable_map(
            diff_map(previous, current, before, after, lang, ctx.source, ctx.dataset.build_id), key="edits_diff_map",
            ctx=ctx,
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
def _summary(folder: str, lang: str, _raions: Any = None, robustness: str | None = None) -> bytes:
    # the session's robustness run (if of this plan) adds each merger's confidence
    return backend.summary_html(Path(folder), lang, _raions, robustness)


@st.cache_data(show_spinner=False, max_entries=8)
def _tables(folder: str, lang: str) -> bytes:
    return backend.tables_xlsx(Path(folder), lang)


@st.cache_data(show_spinner=False, max_entries=8)
def _map_png(folder: str, lang: str, bounds: Any = None) -> bytes:
    return backend.map_image(Path(folder), lang, bounds)


def current_view_png(folder: str, lang: str) -> bytes:
    """The PNG of the result map as last shown on the Map page (its view), else of the whole territory.

    A view recorded for another result, or one that shows none of its units, gives the
    whole territory.
    """
    seen = st.session_state.get(MAP_VIEW_KEY) or {}
    bounds = seen.get("bounds") if seen.get("folder") == folder else None
    if bounds is not None:
        try:
            return _map_png(folder, lang, bounds)
        except ValueError as exc:
            logger.info("map image of the whole territory: %s", exc)
    return _map_png(folder, lang)


def _raion_names(ctx: AppContext) -> dict[str, str]:
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
        st.caption(t("downloads.cli", lang) + (f" ({t('downloads.whole', lang)})" if ctx.territory else ""))
        st.code(f"atr-model run {name} --data {data_arg} --out results/{getattr(ctx.scenario, 'name', 'scenario')}", language="bash")
    if result is None:
        st.info(t("run.none_yet", lang))
        return
    folder = result.folder
    stem = f"atr-{folder.name}"
    raions = _raion_names(ctx)
    council = st.columns(3)
    council[0].download_button(
        f"⬇ {t('downloads.summary', lang)}", _summary(str(folder), lang, raions, st.session_state.get(ROBUSTNESS_KEY)),
        file_name=f"{stem}-summary-{lang}.html",
        mime="text/html", key="dl_summary", help=t("downloads.summary_help", lang),
    )
    try:
        png = current_view_png(str(folder), lang)
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
    ]
    cols = st.columns(4)
    for col, (label, name, mime) in zip(cols, files):
        path = folder / name
        if path.exists():
            col.download_button(f"⬇ {t(label, lang)}", path.read_bytes(), file_name=f"{stem}-{path.name}", mime=mime, key=f"dl_{label}")
        else:
            col.button(t(label, lang), disabled=True, help=t("downloads.missing", lang), key=f"dl_{label}_off")
    try:
        workbook = _tables(str(folder), lang)  # sheets and headers in the interface's language
    except Exception as exc:  # the workbook is one download among others; the rest still work
        logger.warning("workbook in %s failed for %s: %s", lang, folder, exc)
        cols[2].button(t("downloads.xlsx", lang), disabled=True, help=t("downloads.missing", lang), key="dl_downloads.xlsx_off")
    else:
        cols[2].download_button(
            f"⬇ {t('downloads.xlsx', lang)}", workbook, file_name=f"{stem}-tables-{lang}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_downloads.xlsx",
        )
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
