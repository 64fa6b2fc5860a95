"""The app's Robustness view: run an ensemble, see the stability map, the fragile decisions, download.

The run goes through :func:`atr_model.scenarios.robustness.run_robustness` in this process (one
worker: the app server is shared), on the cached dataset and travel model; the package is
written next to the app's result folders and kept per session in ``st.session_state``.
Every share is an estimate (it follows from assumed spreads) and is labelled so.

The stability map is the nominal plan's map (:func:`maps.result_map`): only the merger
decisions (new units of several units) take a stability colour; units kept as they are keep
their status category's colour (kept, exempt, town, below the floor), as on every map.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path

import folium
import pandas as pd
import streamlit as st

from atr_model.data import Dataset
from atr_model.errors import DataError
from atr_model.presentation import maps
from atr_model.presentation.app import cache, downloads, results
from atr_model.presentation.app.context import AppContext
from atr_model.presentation.app.folium_view import RenderedMap, render_map, show_map
from atr_model.presentation.i18n import format_number, t
from atr_model.presentation.report import fragile_rows, kpi_rows, write_robustness_report
from atr_model.scenarios import Scenario, read_tool_csv, run_robustness, verify_manifest, write_robustness

__all__ = ["SESSION_KEY", "STABILITY_BINS", "stability_colour", "stability_map", "view_robustness"]

logger = logging.getLogger(__name__)

#: Session key of the current robustness package folder.
SESSION_KEY = "robustness_folder"

#: (lower bound of the share, colour, legend label); first match from the top wins. Colours
#: from the palette's stability ramp (never the red of "below the floor").
STABILITY_BINS = tuple(
    (lower, colour, label)
    for (lower, label), colour in zip(((0.8, "≥ 80%"), (0.5, "50–80%"), (0.2, "20–50%"), (0.0, "< 20%")), maps.STABILITY)
)


def stability_colour(share: float) -> str:
    """Colour of a new unit appearing exactly in ``share`` of the draws."""
    for lower, colour, _label in STABILITY_BINS:
        if share >= lower - 1e-12:
            return colour
    return STABILITY_BINS[-1][1]


def _package_folder(scenario: Scenario, dataset: Dataset, draws: int, seed: int, root: Path | None) -> Path:
    base = results.result_folder(scenario, dataset, root)  # beside the user's own results
    return base.with_name(f"{base.name}-robustness-{draws}-{seed}")


def _run(ctx: AppContext, scenario: Scenario, dataset: Dataset, draws: int, seed: int) -> Path:
    lang = ctx.lang
    target = _package_folder(scenario, dataset, draws, seed, ctx.results_root)
    if (target / "robustness.json").exists() and not verify_manifest(target):
        return target
    if target.exists():  # ours (under the user's root) but not as written: computed afresh
        logger.warning("robustness package %s differs from its manifest; computing it again", target.name)
        shutil.rmtree(target)
    bar = st.progress(0.0, text=t("robustness.nominal", lang))
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=t("robustness.progress", lang, done=done, total=total))

    result = run_robustness(scenario, draws=draws, seed=seed, dataset=dataset,
                            travel_model=cache.travel_model_for(str(ctx.source), scenario), workers=1,
                            progress=progress)
    folder = write_robustness(result, target,
                              extra_writers=(lambda _res, staging: write_robustness_report(staging, lang),))
    bar.progress(1.0, text=t("robustness.done", lang, draws=draws, seconds=f"{time.perf_counter() - started:.1f}"))
    return folder


def _share_text(share: float, lang: str) -> str:
    """A share of draws as "≈ 85% (estimate)" in ``lang``'s number format."""
    return f"≈ {format_number(round(100 * share), lang)}% ({t('estimate.suffix', lang)})"


def stability_map(folder: Path, layers: maps.DisplayLayers, lang: str) -> folium.Map:
    """The nominal plan's map with each merger coloured by the share of draws in which its new
    unit appears exactly (the share in its passport); units kept as they are in the nominal
    plan in their category's colour."""
    nominal = results.load_result(folder / "nominal")
    table = read_tool_csv(folder / "new_unit_stability.csv", dtype={"new_unit_id": str, "centre_code": str})
    shares = dict(zip(table["new_unit_id"].astype(str), pd.to_numeric(table["share_exact"], errors="coerce").fillna(0.0)))
    sizes = nominal.assignments.groupby(nominal.assignments["new_unit_id"].astype(str)).size()
    mergers = [str(uid) for uid in sizes.index[sizes > 1]]
    label = t("robustness.map_legend", lang)
    reading = maps.MergerColours(
        title=label,
        colours={uid: stability_colour(shares.get(uid, 0.0)) for uid in mergers},
        legend=[(colour, bin_label) for _lower, colour, bin_label in STABILITY_BINS],
        rows={uid: [(label, _share_text(shares.get(uid, 0.0), lang))] for uid in mergers},
    )
    return maps.result_map(layers, nominal.assignments, new_units=nominal.new_units if len(nominal.new_units) else None,
                           lang=lang, travel_model_label=nominal.travel_model_label, mergers=reading)


@st.cache_resource(show_spinner=False, max_entries=8)
def _rendered(folder: str, source: str, build_id: str, lang: str) -> RenderedMap:
    return render_map(stability_map(Path(folder), cache.layers(source, build_id), lang))


@st.cache_data(show_spinner=False, max_entries=4)
def _zip(folder: str) -> bytes:
    return downloads.zip_folder(Path(folder))


def _show(folder: Path, ctx: AppContext) -> None:
    lang = ctx.lang
    problems = verify_manifest(folder)
    if problems:
        raise DataError(f"robustness result {folder.name} is not shown: its files differ from what was written "
                        f"({problems[0]}); run it again to compute it afresh")
    meta = json.loads((folder / "robustness.json").read_text(encoding="utf-8"))
    summary = meta["summary"]
    pct_stable = int(round(100 * summary.get("stable_share_threshold", 0.8)))
    pct_fragile = int(round(100 * meta.get("fragile_share", 0.2)))
    a, b, c = st.columns(3)
    a.metric(t("robustness.stable", lang, pct=pct_stable),
             f"{summary['new_units_stable']} / {summary['new_units_nominal']}")
    b.metric(t("robustness.fragile_count", lang, pct=pct_fragile), f"{summary['decisions_fragile']}")
    c.metric(t("robustness.draws", lang), f"{summary['draws_with_plan']} / {summary['draws']}")
    st.caption(t("robustness.intro", lang))
    if ctx.dataset is not None and ctx.source:
        try:
            show_map(_rendered(str(folder), ctx.source, ctx.dataset.build_id, lang), key="robustness_map", height=520)
        except (OSError, ValueError) as exc:  # the tables below still help without the map
            logger.warning("stability map failed: %s", exc)
    st.subheader(t("robustness.fragile", lang))
    fragile = fragile_rows(folder, lang)  # names, statuses and sentences in the interface's language
    if not fragile:
        st.info(t("robustness.no_fragile", lang, pct=pct_fragile))
    else:
        shown = pd.DataFrame({
            t("robustness.col.unit", lang): [r["unit"] for r in fragile],
            t("robustness.col.status", lang): [r["status"] for r in fragile],
            t("robustness.col.share", lang): [r["share"] for r in fragile],
            t("robustness.col.hinges", lang): [r["hinges"] for r in fragile],
        })
        st.dataframe(shown, hide_index=True, width="stretch")
    st.subheader(t("robustness.kpis", lang))
    intervals = json.loads((folder / "kpi_intervals.json").read_text(encoding="utf-8"))
    st.dataframe(pd.DataFrame([
        {t("robustness.col.figure", lang): r["figure"], t("robustness.col.nominal", lang): r["nominal"],
         "p5": r["p5"], "p50": r["p50"], "p95": r["p95"]}
        for r in kpi_rows(intervals, lang)
    ]), hide_index=True, width="stretch")
    st.download_button(f"⬇ {t('robustness.download', lang)}", _zip(str(folder)), file_name=f"atr-{folder.name}.zip",
                       mime="application/zip", key="dl_robustness")


def view_robustness(ctx: AppContext) -> None:
    """The Robustness view (number of draws, run with a progress bar, map, fragile decisions, download)."""
    lang = ctx.lang
    st.subheader(t("robustness.title", lang))
    scenario, dataset = ctx.scenario, ctx.dataset
    if scenario is None or dataset is None:
        st.info(t("robustness.need_scenario", lang))
        return
    left, right, button = st.columns([2, 2, 2], vertical_alignment="bottom")
    draws = int(left.number_input(t("robustness.draws", lang), min_value=1, max_value=2000, value=50, step=10,
                                  key="robustness_draws"))
    seed = int(right.number_input(t("robustness.seed", lang), min_value=0, value=1, step=1, key="robustness_seed"))
    if button.button(t("robustness.run", lang), type="primary", key="robustness_run"):
        st.session_state[SESSION_KEY] = str(_run(ctx, scenario, dataset, draws, seed))
    folder = st.session_state.get(SESSION_KEY)
    if not folder or not (Path(folder) / "robustness.json").exists():
        st.info(t("robustness.none_yet", lang))
        return
    _show(Path(folder), ctx)
