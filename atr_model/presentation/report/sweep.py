"""Presentation: the Pareto chart of a sweep (``pareto.png``, and ``pareto.html`` with the
chart as inline SVG over the table of runs)."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from atr_model._atomic import atomic_file
from atr_model.presentation.i18n import DEFAULT_LANGUAGE
from atr_model.presentation.report.html_parts import escape as _e
from atr_model.presentation.report.html_parts import page as _page
from atr_model.presentation.report.html_parts import table as _table
from atr_model.presentation.report.html_parts import td as _td

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["write_sweep_outputs"]


def _sweep_figure(table: pd.DataFrame, parameters: Sequence[str], title: str) -> Figure:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    data = table.copy()
    data["x"] = pd.to_numeric(data["units_after"], errors="coerce")
    data["y"] = pd.to_numeric(data["population_weighted_mean_travel_min"], errors="coerce")
    data = data[np.isfinite(data["x"]) & np.isfinite(data["y"])]
    fig, ax = plt.subplots(figsize=(8, 5.5))
    colour_by = parameters[0] if parameters else None
    if colour_by is not None and colour_by in data and pd.api.types.is_numeric_dtype(data[colour_by]):
        points = ax.scatter(data["x"], data["y"], c=data[colour_by], cmap="viridis", s=36, zorder=3)
        fig.colorbar(points, ax=ax, label=colour_by)
    else:
        ax.scatter(data["x"], data["y"], s=36, zorder=3, color="#3465a4")
    front = data[data["pareto"].astype(bool)].sort_values(["x", "y"])
    if len(front):
        ax.step(front["x"], front["y"], where="post", color="#c00", linewidth=1.2, zorder=2, label="Pareto front")
        ax.scatter(front["x"], front["y"], s=90, facecolors="none", edgecolors="#c00", zorder=4)
        ax.legend(loc="best")
    if len(data) <= 40:
        # one label per position: runs that land on the same point share it
        short = {"population_floor": "floor", "max_travel_time_min": "tmax"}
        for (x, y), group in data.groupby(["x", "y"], sort=True):
            label = " | ".join(
                ", ".join(f"{short.get(p, p)}={rec[p]}" for p in parameters if p in rec)
                for rec in group.to_dict(orient="records")
            )
            right_half = x > (data["x"].min() + data["x"].max()) / 2.0
            ax.annotate(label, (x, y), fontsize=6, xytext=(-5 if right_half else 5, 4), textcoords="offset points",
                        ha="right" if right_half else "left", clip_on=True)
    ax.set_xlabel("new units (fewer = more consolidation)")
    ax.set_ylabel("population-weighted mean travel time to the centre (min)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    return fig


def write_sweep_outputs(
    table: pd.DataFrame, parameters: Sequence[str], out_dir: str | os.PathLike[str], *, title: str = "Sweep"
) -> list[Path]:
    """Write the Pareto chart of a sweep as ``pareto.png`` and ``pareto.html`` (inline SVG + table).

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`atr_model.scenarios.sweep.SweepResult.table`.
    parameters : sequence of str
        Parameter column names in the table (short names).
    out_dir : path-like
        Folder to write into (created).
    title : str, optional
        Chart title.

    Returns
    -------
    list of pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "atr-model"}):
        fig = _sweep_figure(table, parameters, title)
        try:
            png = folder / "pareto.png"
            fig.savefig(png, dpi=130, bbox_inches="tight", metadata={"Software": None})
            buf = io.StringIO()
            fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
        finally:
            plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    body = (
        f"<h1>{_e(title)}</h1><p>Each point is one run of the grid. Red: the Pareto front (no other run has "
        "both fewer new units and a shorter mean trip to the centre). Savings are estimates from the "
        "assumed cost model (<span class='est'>marked</span>).</p>"
        f"<figure class='map'>{svg}</figure><h2>Runs</h2>"
    )
    rows = []
    for rec in table.to_dict(orient="records"):
        cells = "".join(
            _td(v, DEFAULT_LANGUAGE, estimate=(k == "annual_saving_som_estimate")) for k, v in rec.items()
        )
        rows.append(f"<tr>{cells}</tr>")
    body += _table(list(table.columns), rows)
    page = folder / "pareto.html"
    with atomic_file(page) as tmp:
        tmp.write_text(_page(title, body), encoding="utf-8")
    return [png, page]

