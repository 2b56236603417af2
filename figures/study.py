"""Plotly figures of the study's views: reconstructions, error curve, per-digit bars, embedding, latent
code and the lesson's diagrams. Pure functions of data, so tests can inspect them.

Each figure is labelled (title, axes with units, legend) and uses the colours of
`figures.colors`. The dashboard only places them; the lesson and the slide export reuse them. The lab's
and the rate–distortion views have their own modules (`figures.lab`, `figures.ratedistortion`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from core.evaluation.metrics import GroupStats
from core.levels import BYTES_PER_VALUE, IMAGE_SIDE, N_PIXELS, compression_pct, latent_bytes
from figures.colors import (
    AE_COLOR,
    DIGIT_COLORS,
    KNEE_COLOR,
    LEVEL_REDS,
    ORIGINAL_COLOR,
    PCA_COLOR,
    RECONSTRUCTION_COLOR,
    STAGE_COLORS,
    STORAGE_SHADES,
)

if TYPE_CHECKING:
    from core.models.anatomy import Stage

TILE = IMAGE_SIDE  # one digit's tile, in pixels
GAP_X, GAP_Y = 3, 10  # blank pixels between tiles; the vertical gap holds each tile's MSE label

METHOD_STYLE = {"ae": ("auto-encoder", AE_COLOR), "pca": ("PCA (linear baseline)", PCA_COLOR)}


def level_label(latent_dim: int | str) -> str:
    """'99.0% · d=8' for a shipped size; a lab model's name gets the same, then 'lab' and when it was trained."""
    if isinstance(latent_dim, str):
        from core.checkpoints.lab import lab_label
        from core.checkpoints.seeds import is_seed_model, seed_of

        if is_seed_model(latent_dim):
            d = int(latent_dim[4:7])
            return f"{compression_pct(d):.1f}% · d={d} · seed {seed_of(latent_dim)}"

        return lab_label(latent_dim)
    return f"{compression_pct(latent_dim):.1f}% · d={latent_dim}"


def label_mosaic_rows(fig: go.Figure, width: float, height: float, pitch_y: int, labels: Sequence[str]) -> None:
    """Axes for a mosaic heatmap of digit tiles: square pixels, top row first, one label per row of tiles."""
    fig.update_xaxes(visible=False, range=[-0.5, width - 0.5], constrain="domain")
    fig.update_yaxes(
        range=[height - 0.5, -0.5],
        scaleanchor="x",
        constrain="domain",
        tickvals=[r * pitch_y + TILE / 2 for r in range(len(labels))],
        ticktext=list(labels),
        ticks="",
        showgrid=False,
        zeroline=False,
        tickfont=dict(size=11),
    )


def reconstruction_grid(
    originals: np.ndarray,
    rows: Sequence[tuple[str, np.ndarray, np.ndarray]],
    indices: Sequence[int],
    labels: Sequence[int],
    title: str,
) -> go.Figure:
    """Originals on top, then one row per (label, images, per-image MSE).

    Drawn as ONE heatmap of a mosaic (NaN gaps show as background) plus one text trace
    for the labels: a subplot per digit meant 50+ plotly traces and axes, slow to build and
    slower to render in the browser; the mosaic is quick either way.
    """
    all_rows = [("original", originals, None), *rows]
    n_cols, n_rows = len(originals), len(all_rows)
    pitch_x, pitch_y = TILE + GAP_X, TILE + GAP_Y
    mosaic = np.full((n_rows * pitch_y, n_cols * pitch_x), np.nan, dtype=np.float32)
    hover_x, hover_y, hover_text, label_x, label_y, label_text = [], [], [], [], [], []
    for r, (name, images, mse) in enumerate(all_rows):
        for c in range(n_cols):
            top, left = r * pitch_y, c * pitch_x
            mosaic[top : top + TILE, left : left + TILE] = np.asarray(images[c], dtype=np.float32).reshape(TILE, TILE)
            hover = f"test #{indices[c]} · digit {labels[c]}<br>" + name.replace("<br>", " · ")
            hover_x.append(left + TILE / 2)
            hover_y.append(top + TILE / 2)
            label_x.append(left + TILE / 2)
            label_y.append(top + TILE + GAP_Y / 2)
            if mse is not None:
                hover += f"<br>MSE {mse[c]:.5f}"
                label_text.append(f"{mse[c]:.4f}")
            else:
                label_text.append(f"#{indices[c]} ({labels[c]})")
            hover_text.append(hover)
    fig = go.Figure(
        [
            go.Heatmap(z=mosaic, colorscale="gray", zmin=0, zmax=1, showscale=False, hoverinfo="skip", name="digits"),
            go.Scatter(
                x=label_x, y=label_y, text=label_text, mode="text", textfont=dict(size=10), hoverinfo="skip", name="MSE"
            ),
            go.Scatter(  # invisible markers over the tiles carry one hover label per digit
                x=hover_x,
                y=hover_y,
                mode="markers",
                marker=dict(size=TILE, opacity=0, symbol="square"),
                hovertext=hover_text,
                hovertemplate="%{hovertext}<extra></extra>",
                name="hover",
            ),
        ]
    )
    width_units, height_units = n_cols * pitch_x, n_rows * pitch_y
    px_per_unit = min(800 / width_units, 3.0)  # the plot area is ~800 px wide on a laptop: no empty band
    label_mosaic_rows(fig, width_units - GAP_X, height_units, pitch_y, [name for name, _, _ in all_rows])
    fig.update_layout(
        title=title,
        height=int(height_units * px_per_unit) + 90,
        margin=dict(l=150, r=10, t=60, b=10),
        plot_bgcolor="white",
        showlegend=False,
    )
    return fig


#: More 1-2-5 ticks than this on one log axis and only the powers of ten are labelled.
MAX_LOG_TICKS = 13


def log_ticks(values: Iterable[float | None]) -> dict:
    """`tickvals`/`ticktext` at 1, 2 and 5 of each decade the values span, every label written out.

    Plotly labels the ticks between a log axis's decades just "2" and "5", which a class reads as
    nonsense beside "0.01"; "0.002" says what it is. Only the ticks that enclose the values, so an
    exported (matplotlib) copy doesn't stretch its axis to reach them. Empty without a positive value, or
    where the values span too little for two of these ticks."""
    v = np.asarray([x for x in values if x is not None], dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return {}
    lo, hi = float(v.min()), float(v.max())
    first, last = int(np.floor(np.log10(lo))), int(np.floor(np.log10(hi))) + 1
    ticks = [float(f"{m}e{e}") for e in range(first, last + 1) for m in (1, 2, 5)]
    if sum(lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9) for t in ticks) < 2:
        return {}  # a narrow span: plotly's own ticks for it are finer and already written out in full
    below = max(t for t in ticks if t <= lo * (1 + 1e-9))
    above = min(t for t in ticks if t >= hi * (1 - 1e-9))
    ticks = [t for t in ticks if below <= t <= above]
    if len(ticks) > MAX_LOG_TICKS:
        ticks = [t for t in ticks if f"{t:e}".startswith("1.")]
    return {"tickvals": ticks, "ticktext": [_tick_label(t) for t in ticks]}


def log_axis_ticks(axis: str, values: Iterable[float | None]) -> dict:
    """`log_ticks` as `update_layout` keywords for one axis ("xaxis", "yaxis")."""
    return {f"{axis}_{k}": v for k, v in log_ticks(values).items()}


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _tick_label(value: float) -> str:
    """0.0002 written out; anything smaller as 2×10⁻⁵ (Python's "2e-05" is for programmers)."""
    if value >= 1e-4:
        return f"{value:,g}"
    mantissa, exponent = f"{value:e}".split("e")
    power = "10" + str(int(exponent)).translate(_SUPERSCRIPTS)
    return power if round(float(mantissa)) == 1 else f"{round(float(mantissa))}×{power}"


def compression_xaxis(by_pct: bool, latent_dims: Iterable[int] = ()) -> dict:
    """The x axis every per-level curve shares: compression %, or latent dims on a log scale."""
    if by_pct:
        return {"xaxis_title": "compression (% of 784 pixels removed: 1 − latent dims / 784)", "xaxis_type": "linear"}
    return {"xaxis_title": "latent dimensions (log scale)", "xaxis_type": "log", **log_axis_ticks("xaxis", latent_dims)}


def error_curve(
    rows: list[dict],
    knee_pct: float | None,
    log_y: bool = True,
    x_axis: str = "compression",
    lab: Sequence[dict] = (),
    seeds: Sequence[dict] = (),
) -> go.Figure:
    """Test MSE against compression % (or latent dims, log scale), AE and PCA, with the knee marked.

    `lab`: auto-encoder records of lab models (each with its `label`), drawn as their own markers, apart from the
    shipped curve and its knee. `seeds`: at the seeded sizes, the mean over training seeds with bars from the
    lowest to the highest seed (`core.evaluation.seeds.seed_curve_rows`)."""
    by_pct = x_axis == "compression"
    fig = go.Figure()

    def xs(points: Sequence[dict]) -> list:
        return [r["compression_pct"] if by_pct else r["latent_dim"] for r in points]

    for method, (name, color) in METHOD_STYLE.items():
        pts = sorted((r for r in rows if r["method"] == method), key=lambda r: r["compression_pct"])
        if not pts:
            continue
        fig.add_trace(
            go.Scatter(
                x=[r["compression_pct"] if by_pct else r["latent_dim"] for r in pts],
                y=[r["mse"] for r in pts],
                mode="lines+markers",
                name=name,
                line=dict(color=color, dash="solid" if method == "ae" else "dash"),
                marker=dict(size=8),
                customdata=[
                    [
                        r["latent_dim"],
                        r["psnr"],
                        r["bytes_float32"],
                        r["bytes_float16"],
                        r["bytes_uint8"],
                        r["compression_pct"],
                    ]
                    for r in pts
                ],
                hovertemplate=(
                    "<b>%{customdata[5]:.1f}% compression</b><br>latent dims %{customdata[0]}<br>MSE %{y:.5f}"
                    "<br>PSNR %{customdata[1]:.2f} dB<br>bytes/image: %{customdata[2]} (float32), "
                    "%{customdata[3]} (float16), %{customdata[4]} (8-bit)<extra>" + name + "</extra>"
                ),
            )
        )
    if seeds:
        fig.add_trace(
            go.Scatter(
                x=xs(seeds),
                y=[r["mse"] for r in seeds],
                name="auto-encoder over training seeds (mean, lowest–highest)",
                mode="markers",
                marker=dict(symbol="diamond-open", size=11, color="black"),
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=[r["high"] - r["mse"] for r in seeds],
                    arrayminus=[r["mse"] - r["low"] for r in seeds],
                    color="black",
                    thickness=1.5,
                    width=6,
                ),
                text=[f"{len(r['seeds'])} seeds: " + ", ".join(f"{v:.5f}" for v in r["per_seed"]) for r in seeds],
                hovertemplate="<b>%{text}</b><br>mean %{y:.5f}<extra>training seeds</extra>",
            )
        )
    if lab:
        fig.add_trace(
            go.Scatter(
                x=xs(lab),
                y=[r["mse"] for r in lab],
                mode="markers",
                name="lab models (trained here, not shipped)",
                marker=dict(symbol="star", size=13, color=AE_COLOR, line=dict(color="black", width=1)),
                text=[r["label"] for r in lab],
                hovertemplate="<b>%{text}</b><br>MSE %{y:.5f}<extra>lab model</extra>",
            )
        )
    if knee_pct is not None:
        knee_x = knee_pct if by_pct else N_PIXELS * (1 - knee_pct / 100)
        fig.add_vline(x=knee_x, line=dict(color=KNEE_COLOR, dash="dot", width=2))
        # its label is placed by hand: plotly reads an annotation's x on a log axis as log10 (a vline's own
        # label at x=78 stretched the latent-dims axis to 10^78)
        fig.add_annotation(
            x=knee_x if by_pct else np.log10(knee_x),
            y=1.0,
            yref="paper",
            text=f"knee ≈ {knee_pct:.1f}%" + ("" if by_pct else f" (d ≈ {knee_x:.0f})"),
            showarrow=False,
            xanchor="right",
            yanchor="top",
            font=dict(color=KNEE_COLOR),  # its size follows the layout's (presenter mode enlarges it)
        )
    fig.update_layout(
        title="Reconstruction error against compression (10,000 test digits)",
        **compression_xaxis(by_pct, [r["latent_dim"] for r in rows]),
        yaxis_title="test MSE (pixels in [0, 1])" + (", log scale" if log_y else ""),
        yaxis_type="log" if log_y else "linear",
        **(log_axis_ticks("yaxis", (r["mse"] for r in rows)) if log_y else {}),
        legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom"),
        hovermode="closest",
        margin=dict(t=110),
    )
    return fig


def two_sample_bars(per_digit: dict[int, tuple[float, float, float]], title: str) -> go.Figure:
    """Per digit, how often a classifier tells originals from reconstructions (held out), with 95 % intervals;
    50 % is guessing."""
    digits = sorted(per_digit)
    est, low, high = (np.array([per_digit[d][i] for d in digits]) for i in range(3))
    fig = go.Figure(
        go.Bar(
            x=[str(d) for d in digits],
            y=100 * est,
            marker_color=RECONSTRUCTION_COLOR,
            error_y=dict(type="data", symmetric=False, array=100 * (high - est), arrayminus=100 * (est - low)),
            hovertemplate="digit %{x}<br>told apart %{y:.1f} %<extra></extra>",
        )
    )
    fig.update_layout(title=title, xaxis_title="digit", yaxis_title="told apart, % (50 = guessing)")
    fig.update_yaxes(range=[0, 100])
    fig.update_xaxes(type="category")
    return fig


def per_digit_bars(stats_by_level: dict[int, GroupStats], value: str, sort_by_error: bool = False) -> go.Figure:
    """Grouped bars per digit, one group member per level, with 95 % CIs."""
    ylabel = "mean MSE per image" if value == "mse" else "squared error per 100 ink pixels"
    order = list(range(10))
    if sort_by_error and stats_by_level:
        last = stats_by_level[min(stats_by_level)]  # sort by the most compressed level chosen
        order = [int(d) for d in np.argsort(-last.mean)]
    reds = LEVEL_REDS
    fig = go.Figure()
    for i, (d, g) in enumerate(sorted(stats_by_level.items(), reverse=True)):
        idx = np.array(order)
        fig.add_trace(
            go.Bar(
                x=[str(k) for k in order],
                y=g.mean[idx],
                name=level_label(d),
                marker_color=reds[min(i, len(reds) - 1)] if len(stats_by_level) > 1 else RECONSTRUCTION_COLOR,
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=g.ci_high[idx] - g.mean[idx],
                    arrayminus=g.mean[idx] - g.ci_low[idx],
                ),
                customdata=np.stack([g.n[idx], g.ci_low[idx], g.ci_high[idx]], axis=1),
                hovertemplate=(
                    "digit %{x}<br>" + ylabel + " %{y:.5f}<br>95% CI %{customdata[1]:.5f}–"
                    "%{customdata[2]:.5f}<br>n = %{customdata[0]}<extra>" + level_label(d) + "</extra>"
                ),
            )
        )
    fig.update_layout(
        title="Error per digit" + (" (ink-normalised)" if value != "mse" else "") + ", with 95% confidence intervals",
        xaxis_title="digit" + (" (sorted by error)" if sort_by_error else ""),
        yaxis_title=ylabel,
        barmode="group",
        legend_title="compression level",
    )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=[str(k) for k in order])
    return fig


#: Originals as large translucent discs, reconstructions as small opaque dots drawn over them. A good
#: reconstruction lands on its original, so same-size markers hid one behind the other (the map looked all red).
#: Filled circles, not rings and crosses: WebGL open/x markers are much slower for the browser to draw.
SOURCE_MARKERS = {0: dict(size=9, opacity=0.35), 1: dict(size=4, opacity=0.9)}


def _source_marker(source: np.ndarray, key: str) -> float | list[float]:
    """One value for a one-source trace, else one per point (the digit colouring mixes both sources)."""
    values = np.where(source == 0, SOURCE_MARKERS[0][key], SOURCE_MARKERS[1][key])
    return float(values[0]) if len(values) and (values == values[0]).all() else values.tolist()


def embedding_scatter(
    xy: np.ndarray,
    source: np.ndarray,
    labels: np.ndarray,
    test_index: np.ndarray,
    color_by: str,
    title: str,
    method: str,
) -> go.Figure:
    """Originals (blue) and reconstructions (red), or both coloured by digit."""
    fig = go.Figure()
    names = ("original", "reconstruction")
    if color_by == "source":
        groups = [(names[s], source == s, ORIGINAL_COLOR if s == 0 else RECONSTRUCTION_COLOR, None) for s in (0, 1)]
    else:
        groups = [(f"digit {d}", labels == d, DIGIT_COLORS[d], None) for d in range(10)]
    for name, mask, color, _ in groups:
        idx = np.flatnonzero(mask)
        fig.add_trace(
            go.Scattergl(
                x=xy[idx, 0],
                y=xy[idx, 1],
                mode="markers",
                name=name,
                marker=dict(
                    color=color,
                    symbol="circle",
                    size=_source_marker(source[idx], "size"),
                    opacity=_source_marker(source[idx], "opacity"),
                ),
                customdata=np.stack([labels[idx], test_index[idx], source[idx], idx], axis=1),
                hovertemplate="digit %{customdata[0]}<br>test #%{customdata[1]}<extra>" + name + "</extra>",
            )
        )
    fig.update_layout(
        title=title,
        xaxis_title=f"{method} 1 (arbitrary units)",
        yaxis_title=f"{method} 2 (arbitrary units)",
        legend_title="points",
        height=620,
        dragmode="lasso",
    )
    return fig


def latent_code_bars(code: np.ndarray, latent_dim: int) -> go.Figure:
    """The digit's latent code, one bar per dimension."""
    fig = go.Figure(
        go.Bar(
            x=np.arange(len(code)),
            y=code,
            marker_color=RECONSTRUCTION_COLOR,
            hovertemplate="dimension %{x}<br>value %{y:.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"Your digit's code at {level_label(latent_dim)}",
        xaxis_title="latent dimension",
        yaxis_title="value (unitless)",
        height=300,
        bargap=0.1 if len(code) < 64 else 0,
    )
    return fig


def add_placed_points(fig: go.Figure, xy: np.ndarray, names: Sequence[str]) -> go.Figure:
    """Overlay new digits (big stars) on an embedding scatter."""
    colors = [ORIGINAL_COLOR, RECONSTRUCTION_COLOR]
    for i, (point, name) in enumerate(zip(xy, names, strict=True)):
        fig.add_trace(
            go.Scatter(
                x=[point[0]],
                y=[point[1]],
                mode="markers+text",
                name=name,
                text=[name],
                textposition="top center",
                marker=dict(symbol="star", size=22, color=colors[i % 2], line=dict(color="black", width=2)),
                hovertemplate=name + "<extra></extra>",
            )
        )
    return fig


def autoencoder_diagram(stages: Sequence[Stage], title: str) -> go.Figure:
    """Encoder → code → decoder as an hourglass: one bar per layer, its height the log of its size.

    Log height, because sizes run from 8 numbers to 25,088: on a linear scale the code would
    vanish, and the point of the picture is that it is small but not nothing.
    """
    heights = [np.log10(s.size) + 0.5 for s in stages]
    fig = go.Figure(
        go.Bar(
            x=[s.name for s in stages],
            y=heights,
            base=[-h / 2 for h in heights],
            marker_color=[STAGE_COLORS[s.part] for s in stages],
            text=[f"{s.shape_text}<br>{s.size:,} numbers" for s in stages],
            textposition="outside",
            customdata=[[s.part, s.shape_text, s.size] for s in stages],
            hovertemplate="%{x} (%{customdata[0]})<br>shape %{customdata[1]}<br>%{customdata[2]:,} numbers"
            "<extra></extra>",
        )
    )
    top = max(heights) / 2 + 1.2
    for label, part in (("encoder", "encoder"), ("code", "code"), ("decoder", "decoder")):
        names = [s.name for s in stages if s.part == part]
        if names:
            fig.add_annotation(
                x=names[len(names) // 2], y=top, text=f"<b>{label}</b>", showarrow=False, font=dict(size=16)
            )
    fig.update_layout(
        title=title,
        xaxis_title="layer, in the order the data flows (input → output)",
        yaxis=dict(visible=False, range=[-top, top + 0.4]),
        showlegend=False,
        height=460,
        bargap=0.25,
    )
    return fig


def level_bytes_bars(latent_dims: Sequence[int]) -> go.Figure:
    """Bytes per image of each level's code, stored three ways, against the raw 784-byte digit."""
    dims = sorted(latent_dims, reverse=True)
    shades = STORAGE_SHADES
    fig = go.Figure(
        [
            go.Bar(
                x=[level_label(d) for d in dims],
                y=[latent_bytes(d, dtype) for d in dims],
                name=f"code as {dtype}" if dtype != "uint8" else "code as 8-bit",
                marker_color=shades[dtype],
                hovertemplate="%{x}<br>%{y:,} bytes<extra>" + dtype + "</extra>",
            )
            for dtype in BYTES_PER_VALUE
        ]
    )
    fig.add_hline(
        y=N_PIXELS,
        line=dict(color=ORIGINAL_COLOR, dash="dash", width=2),
        annotation_text=f"raw digit: {N_PIXELS} bytes",
        annotation_position="top right",
    )
    fig.update_layout(
        title="Bytes per image: the code, stored three ways, against the raw digit",
        xaxis_title="compression level (% of the 784 numbers removed · latent dims)",
        yaxis_title="bytes per image",
        barmode="group",
        legend_title="storage",
    )
    return fig


def seed_spread_chart(spreads: Sequence) -> go.Figure:
    """Each digit's mean error under every training seed (one dot per seed) at each seeded level
    (`core.evaluation.seeds.SeedSpread`): how far a second training run moves a digit's error and its rank."""
    fig = go.Figure()
    for i, sp in enumerate(spreads):
        for s, means in zip(sp.seeds, sp.means, strict=True):
            fig.add_trace(
                go.Scatter(
                    x=np.arange(10) + (i - (len(spreads) - 1) / 2) * 0.3,
                    y=means,
                    mode="markers",
                    name=f"{level_label(sp.latent_dim)}",
                    legendgroup=str(sp.latent_dim),
                    showlegend=s == sp.seeds[0],
                    marker=dict(
                        size=8,
                        color=LEVEL_REDS[min(i, len(LEVEL_REDS) - 1)],
                        symbol="circle" if s == 0 else "circle-open",
                    ),
                    hovertemplate=f"digit %{{customdata}}<br>seed {s}: mean MSE %{{y:.5f}}<extra></extra>",
                    customdata=np.arange(10),
                )
            )
    fig.update_layout(
        xaxis=dict(title="digit", tickmode="array", tickvals=list(range(10))),
        yaxis=dict(title="mean test MSE per digit"),
        title="Each digit's error under every training seed (filled: seed 0, the shipped model)",
        margin=dict(t=50, b=40),
    )
    return fig
