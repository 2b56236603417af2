"""Plotly figures for the rate–distortion and recognisability views.

Pure functions of records, like figures/study.py (kept apart so each file owns one
subject). The rate–distortion chart draws every method the same way: a line per
`method`, coloured by its `family`, styled by its framing (one file for the set: solid,
filled; a file per digit: dashed, hollow; codes as bare numbers: dotted, a marker per
storage) and grouped by framing in the legend; it never asks which method it is drawing.
Lossless points (MSE 0, PSNR infinite) can't sit on a log error axis, so any record with
MSE 0 is drawn as a labelled vertical line at its size. A method's line joins its best settings only (those no
other of its settings beats with as few bytes and a lower error); a setting that is beaten, such as one of JPEG XL's
two efforts on the mosaic at the same distance, is a faint marker off the line.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from core.levels import compression_pct
from core.ratedistortion.codecs import FRAMINGS
from core.ratedistortion.records import framing, frontier
from figures.colors import (
    FAMILY_COLORS,
    FRAMING_LINE,
    FRAMING_MARKER,
    GRID_BACKGROUND,
    ORIGINAL_COLOR,
    PCA_COLOR,
    RECONSTRUCTION_COLOR,
    STORAGE_MARKER,
)
from figures.study import GAP_X, TILE, compression_xaxis, label_mosaic_rows, level_label, log_ticks

Y_AXES = {"mse": ("test MSE (pixels in [0, 1]), log scale", "log"), "psnr": ("PSNR (dB, peak 1.0)", "linear")}
#: The legend's group titles, one per framing.
FRAMING_TITLES = {
    "headers shared": "<b>one file for all digits</b> (headers shared)",
    "per file": "<b>a file per digit</b> (headers in each)",
    "codes as numbers": "<b>codes as bare numbers</b> (no file format)",
}


def _points(points: list[dict], y: str, method: str, note: str = "") -> dict:
    """A trace's x, y and hover for records: bytes per image, the error axis, and each point's setting."""
    return {
        "x": [r["bytes_per_image"] for r in points],
        "y": [r[y] for r in points],
        "customdata": [[r["setting"], r["mse"], r["psnr"]] for r in points],
        "hovertemplate": (
            f"<b>%{{customdata[0]}}</b>{note}<br>%{{x:,.1f}} bytes / image<br>MSE %{{customdata[1]:.5f}}"
            f"<br>PSNR %{{customdata[2]:.2f}} dB<extra>{method}</extra>"
        ),
    }


def rate_distortion_chart(records: list[dict], y: str = "mse", budget: float | None = None) -> go.Figure:
    """Bytes per image (log x) against MSE or PSNR: one line per method, grouped by framing, hover with the setting."""
    title, y_type = Y_AXES[y]
    fig = go.Figure()
    n_lossless = 0
    order = {m: i for i, m in enumerate(dict.fromkeys(r["method"] for r in records))}
    by_framing = sorted(order, key=lambda m: (FRAMINGS.index(framing(_first(records, m))), order[m]))
    for method in by_framing:
        pts = sorted((r for r in records if r["method"] == method), key=lambda r: r["bytes_per_image"])
        lossy = [r for r in pts if r["mse"] > 0]
        best = frontier(lossy)
        beaten = [r for r in lossy if not any(r is b for b in best)]
        lossy = best
        family, how = pts[0]["family"], framing(pts[0])
        color = FAMILY_COLORS.get(family, PCA_COLOR)
        symbol = STORAGE_MARKER.get(pts[0]["params"].get("storage"), FRAMING_MARKER[how])
        if lossy:
            fig.add_trace(
                go.Scatter(
                    **_points(lossy, y, method),
                    mode="lines+markers",
                    name=method,
                    legendgroup=how,
                    legendgrouptitle_text=FRAMING_TITLES[how],
                    line=dict(color=color, dash=FRAMING_LINE[how], width=2.5 if how == "headers shared" else 1.5),
                    marker=dict(size=7, symbol=symbol, line=dict(color=color, width=1.5)),
                )
            )
        if beaten:
            fig.add_trace(
                go.Scatter(
                    **_points(beaten, y, method, " (beaten by another setting)"),
                    mode="markers",
                    name=f"{method} (beaten settings)",
                    legendgroup=how,
                    showlegend=False,
                    opacity=0.45,
                    line=dict(color=color, dash=FRAMING_LINE[how]),
                    marker=dict(size=6, symbol=symbol, color=color, line=dict(color=color, width=1)),
                )
            )
        for r in (r for r in pts if r["mse"] == 0):
            # Plotly places annotations on a log axis by log10(x), shapes by x: so the label is added by hand.
            fig.add_vline(x=r["bytes_per_image"], line=dict(color=color, dash=FRAMING_LINE[how], width=1.5))
            fig.add_annotation(
                x=np.log10(r["bytes_per_image"]),
                y=0.98 - 0.055 * n_lossless,
                yref="paper",
                text=f"{method}: lossless, {r['bytes_per_image']:,.0f} B",
                showarrow=False,
                xanchor="right",
                font=dict(color=color, size=11),
                bgcolor="rgba(255,255,255,0.8)",
            )
            n_lossless += 1
    if budget is not None:
        fig.add_vline(x=budget, line=dict(color="black", width=1), opacity=0.5)
        fig.add_annotation(
            x=np.log10(budget), y=1.0, yref="paper", text=f"budget {budget:,.0f} B", showarrow=False, yanchor="bottom"
        )
    n = records[0]["n_images"] if records else 0
    sizes = [r["bytes_per_image"] for r in records]
    fig.update_layout(
        title=f"Rate–distortion on {n:,} test digits: bytes per digit against error",
        xaxis=dict(title="bytes per digit (measured file sizes, log scale)", type="log", **log_ticks(sizes)),
        yaxis=dict(title=title, type=y_type, **(log_ticks(r[y] for r in records) if y_type == "log" else {})),
        legend=dict(title="colour: codec or model; line: how the set is stored", groupclick="toggleitem"),
        hovermode="closest",
        height=640,
        margin=dict(t=80),
    )
    return fig


def _first(records: list[dict], method: str) -> dict:
    return next(r for r in records if r["method"] == method)


def images_side_by_side(
    originals: np.ndarray,
    rows: Sequence[tuple[str, np.ndarray]],
    title: str,
    row_height: int = 80,
    label_width: int = 190,
) -> go.Figure:
    """A grid of small digits: the originals on top, then one row per (label, images).

    One heatmap of a mosaic (NaN gaps show as background), with the row labels as the y axis's
    ticks: a subplot per digit meant a hundred traces and axes, seconds to build on every rerun.
    """
    all_rows = [("original", originals), *rows]
    n_cols, n_rows = len(originals), len(all_rows)
    pitch_x, pitch_y = TILE + GAP_X, TILE + GAP_X
    mosaic = np.full((n_rows * pitch_y - GAP_X, n_cols * pitch_x - GAP_X), np.nan, dtype=np.float32)
    for r, (_, images) in enumerate(all_rows):
        for c in range(n_cols):
            top, left = r * pitch_y, c * pitch_x
            mosaic[top : top + TILE, left : left + TILE] = np.asarray(images[c], dtype=np.float32).reshape(TILE, TILE)
    fig = go.Figure(go.Heatmap(z=mosaic, colorscale="gray", zmin=0, zmax=1, showscale=False, hoverinfo="skip"))
    label_mosaic_rows(fig, mosaic.shape[1], mosaic.shape[0], pitch_y, [label for label, _ in all_rows])
    fig.update_layout(
        title=title,
        height=row_height * n_rows + 70,
        margin=dict(l=label_width, r=10, t=50, b=10),
        plot_bgcolor="white",
    )
    return fig


def accuracy_curve(rows: list[dict], original_accuracy: float | None, x_axis: str = "compression") -> go.Figure:
    """Classifier accuracy on each level's reconstructions (AE and PCA), clean digits as a reference line."""
    by_pct = x_axis == "compression"
    fig = go.Figure()
    for method, name, color, dash in (
        ("ae", "auto-encoder reconstructions", RECONSTRUCTION_COLOR, "solid"),
        ("pca", "PCA reconstructions", PCA_COLOR, "dash"),
    ):
        pts = sorted((r for r in rows if r["method"] == method), key=lambda r: r["latent_dim"])
        if not pts:
            continue
        fig.add_trace(
            go.Scatter(
                x=[compression_pct(r["latent_dim"]) if by_pct else r["latent_dim"] for r in pts],
                y=[100 * r["classifier_accuracy"] for r in pts],
                mode="lines+markers",
                name=name,
                line=dict(color=color, dash=dash),
                marker=dict(size=8),
                customdata=[[level_label(r["latent_dim"])] for r in pts],
                hovertemplate="<b>%{customdata[0]}</b><br>read correctly: %{y:.2f} %<extra>" + name + "</extra>",
            )
        )
    if original_accuracy is not None:
        fig.add_hline(
            y=100 * original_accuracy,
            line=dict(color=ORIGINAL_COLOR, dash="dot"),
            annotation_text=f"original digits: {100 * original_accuracy:.2f} %",
            annotation_position="bottom left",
            annotation_font_color=ORIGINAL_COLOR,
        )
    fig.update_layout(
        title="How recognisable the reconstructions stay: a CNN classifier's accuracy on the 10,000 test digits",
        **compression_xaxis(by_pct, [r["latent_dim"] for r in rows if "latent_dim" in r]),
        yaxis_title="classifier accuracy (%)",
        legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom"),
        hovermode="closest",
        margin=dict(t=110),
    )
    return fig


def confusion_heatmap(matrix: np.ndarray, title: str) -> go.Figure:
    """Counts of true digit (rows) read as each digit (columns); the diagonal is dimmed so errors stand out."""
    m = np.asarray(matrix)
    off = m.astype(float).copy()
    np.fill_diagonal(off, np.nan)
    digits = [str(d) for d in range(m.shape[0])]
    fig = go.Figure(
        go.Heatmap(
            z=off,
            x=digits,
            y=digits,
            colorscale="Reds",
            colorbar=dict(title="digits<br>misread"),
            text=m,
            texttemplate="%{text}",
            customdata=m,
            hovertemplate="true %{y}, read as %{x}: %{customdata} digits<extra></extra>",
            hoverongaps=False,
        )
    )
    fig.update_layout(
        title=title,
        xaxis=dict(title="read by the classifier as", side="bottom", constrain="domain", type="category"),
        yaxis=dict(title="true digit", autorange="reversed", scaleanchor="x", type="category"),
        height=520,
        plot_bgcolor=GRID_BACKGROUND,
    )
    return fig
