"""Plotly figures of the model lab and the latent explorer. Pure functions of data.

Rows of digits are drawn as one tiled heatmap (not one subplot per digit): a slider move
in the explorer rebuilds its figure on every rerun, and a single trace is built and sent
in a few milliseconds where a grid of subplots takes a good fraction of a second.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.levels import IMAGE_SIDE
from figures.colors import AE_COLOR, DIGIT_COLORS, PCA_COLOR, TRAIN_COLOR
from figures.study import log_axis_ticks

SIDE = IMAGE_SIDE
GAP = 3  # blank pixels between tiled digits


def tile_row(images: np.ndarray, background: float = 1.0) -> np.ndarray:
    """Digits (n, 28, 28) side by side in one array, GAP pixels of `background` between them."""
    n = len(images)
    strip = np.full((SIDE, n * (SIDE + GAP) - GAP), background, np.float32)
    for c, image in enumerate(images):
        strip[:, c * (SIDE + GAP) : c * (SIDE + GAP) + SIDE] = image
    return strip


def image_rows(
    rows: Sequence[tuple[str, np.ndarray]],
    column_titles: Sequence[str] | None = None,
    title: str = "",
    cell_px: int = 64,
) -> go.Figure:
    """Rows of digits (label, images (n, 28, 28) in [0, 1]) as one grey heatmap, labels on the left."""
    n_cols = max(len(images) for _, images in rows)
    step = SIDE + GAP
    width = n_cols * step - GAP
    strips = [
        np.pad(tile_row(images, np.nan), ((0, 0), (0, width - len(images) * step + GAP)), constant_values=np.nan)
        for _, images in rows
    ]
    gap = np.full((GAP, width), np.nan, np.float32)
    z = np.vstack([part for strip in strips for part in (strip, gap)][:-1]).astype(np.float32)
    centres = lambda n: [i * step + SIDE / 2 - 0.5 for i in range(n)]  # noqa: E731
    fig = go.Figure(
        go.Heatmap(z=z, colorscale="gray", zmin=0, zmax=1, showscale=False, hoverinfo="skip", xgap=0, ygap=0)
    )
    fig.update_xaxes(
        tickvals=centres(n_cols) if column_titles else [],
        ticktext=list(column_titles or []),
        side="top",
        showgrid=False,
        zeroline=False,
        constrain="domain",
    )
    fig.update_yaxes(
        tickvals=centres(len(rows)),
        ticktext=[label for label, _ in rows],
        autorange="reversed",
        showgrid=False,
        zeroline=False,
        scaleanchor="x",
        constrain="domain",
    )
    top = 40 + (25 if title else 0) + (20 if column_titles else 0)
    fig.update_layout(
        title=title or None,
        height=len(rows) * cell_px + top + 10,
        width=None,
        margin=dict(l=10, r=10, t=top, b=10),
        plot_bgcolor="white",
    )
    return fig


def training_curve(history: Sequence[dict], steps: Sequence[tuple[float, float]], epochs: int) -> go.Figure:
    """Running training loss within epochs, and each epoch's training loss and test MSE (log scale)."""
    fig = go.Figure()
    if steps:
        x, y = zip(*steps, strict=True)
        fig.add_trace(
            go.Scatter(x=x, y=y, mode="lines", name="training loss (running mean)", line=dict(color=PCA_COLOR, width=1))
        )
    per_epoch = (
        ("train_loss", "training loss, per epoch", "markers", TRAIN_COLOR),
        ("test_mse", "test MSE, per epoch", "lines+markers", AE_COLOR),
    )
    for field_name, name, mode, color in per_epoch if history else ():
        x = [h["epoch"] for h in history]
        y = [h[field_name] for h in history]
        hover = None
        if field_name == "test_mse":  # say what each point was measured on: a sample, or (last epoch) all of it
            scored = [f"{h['test_images']:,} test images" if h.get("test_images") else "the test set" for h in history]
            hover = [f"epoch {e}: test MSE {v:.5f}<br>on {n}" for e, v, n in zip(x, y, scored, strict=True)]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode=mode,
                name=name,
                marker=dict(color=color, size=9),
                line=dict(color=color),
                hovertext=hover,
                hoverinfo="text" if hover else None,
            )
        )
    plotted = [y for _, y in steps] + [h[f] for h in history for f in ("train_loss", "test_mse")]
    fig.update_layout(
        title="Loss as it trains",
        xaxis_title="epochs done",
        yaxis_title="MSE (pixels in [0, 1]), log scale",
        yaxis_type="log",
        **log_axis_ticks("yaxis", plotted),
        xaxis_range=[0, max(epochs, 1) + 0.05],
        height=340,
        legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom"),
        margin=dict(t=90),
    )
    return fig


def manifold_figure(
    xs: np.ndarray, ys: np.ndarray, images: np.ndarray, codes: np.ndarray, labels: np.ndarray
) -> go.Figure:
    """Left: digits decoded over the latent plane of a 2-d model. Right: where the test digits land.

    Both panels share their axes (zoom one, the other follows), so a region of the map can
    be read against the digits that the model decodes there.
    """
    n = len(xs)
    big = np.zeros((n * SIDE, n * SIDE), np.float32)
    for i in range(n):
        for j in range(n):
            big[i * SIDE : (i + 1) * SIDE, j * SIDE : (j + 1) * SIDE] = np.flipud(images[i, j])
    dx, dy = (xs[-1] - xs[0]) / max(n - 1, 1), (ys[-1] - ys[0]) / max(n - 1, 1)
    px = xs[0] - dx / 2 + (np.arange(n * SIDE) + 0.5) * dx / SIDE
    py = ys[0] - dy / 2 + (np.arange(n * SIDE) + 0.5) * dy / SIDE
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        subplot_titles=("decoded over the latent plane", "test digits' codes, coloured by digit"),
    )
    fig.add_trace(
        go.Heatmap(
            z=big, x=px, y=py, colorscale="gray", zmin=0, zmax=1, showscale=False, hoverinfo="skip", name="decoded"
        ),
        row=1,
        col=1,
    )
    for d in range(10):
        idx = np.flatnonzero(labels == d)
        fig.add_trace(
            go.Scattergl(
                x=codes[idx, 0],
                y=codes[idx, 1],
                mode="markers",
                name=f"digit {d}",
                marker=dict(color=DIGIT_COLORS[d], size=4, opacity=0.6),
                hovertemplate=f"digit {d}<br>z = (%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
            ),
            row=1,
            col=2,
        )
    lo_x, hi_x = px[0], px[-1]
    lo_y, hi_y = py[0], py[-1]
    fig.update_xaxes(range=[lo_x, hi_x], title_text="latent dimension 0", zeroline=False, showgrid=False)
    fig.update_xaxes(matches="x", row=1, col=2)
    fig.update_yaxes(range=[lo_y, hi_y], title_text="latent dimension 1", zeroline=False, showgrid=False, row=1, col=1)
    fig.update_layout(height=620, legend_title="test digits", plot_bgcolor="white")
    return fig
