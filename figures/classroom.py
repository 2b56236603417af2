"""The projector's figures for class mode: the class's error per digit against MNIST's, and the class on the map."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from core.evaluation.metrics import GroupStats
from figures.colors import DIGIT_COLORS, ORIGINAL_COLOR, RECONSTRUCTION_COLOR
from figures.study import level_label


def _bars(stats: GroupStats, name: str, color: str) -> go.Bar:
    have = stats.n > 0
    return go.Bar(
        x=[str(d) for d in stats.digit[have]],
        y=stats.mean[have],
        name=name,
        marker_color=color,
        error_y=dict(
            type="data",
            symmetric=False,
            array=(stats.ci_high - stats.mean)[have],
            arrayminus=(stats.mean - stats.ci_low)[have],
        ),
        customdata=np.stack([stats.n[have], stats.ci_low[have], stats.ci_high[have]], axis=1),
        hovertemplate="digit %{x}<br>MSE %{y:.5f}<br>95% CI %{customdata[1]:.5f}–%{customdata[2]:.5f}"
        "<br>n = %{customdata[0]}<extra>" + name + "</extra>",
    )


def class_vs_mnist_bars(class_stats: GroupStats, mnist_stats: GroupStats, latent_dim: int) -> go.Figure:
    """Mean MSE per digit, the class beside MNIST's test digits, with 95 % intervals (one digit: no interval)."""
    fig = go.Figure(
        [_bars(mnist_stats, "MNIST test digits", ORIGINAL_COLOR), _bars(class_stats, "our class", RECONSTRUCTION_COLOR)]
    )
    fig.update_layout(
        title=f"Our digits' error against MNIST's at {level_label(latent_dim)} (95% intervals)",
        xaxis_title="the digit meant",
        yaxis_title="mean MSE per image",
        barmode="group",
        height=420,
    )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=[str(d) for d in range(10)])
    return fig


def class_on_map(
    mnist_xy: np.ndarray, mnist_labels: np.ndarray, class_xy: np.ndarray, class_labels: list[int], title: str
) -> go.Figure:
    """MNIST's test digits as faint dots coloured by digit, the class's as big stars with the digit meant."""
    fig = go.Figure()
    for d in range(10):
        at = mnist_labels == d
        fig.add_trace(
            go.Scattergl(
                x=mnist_xy[at, 0],
                y=mnist_xy[at, 1],
                mode="markers",
                name=f"MNIST {d}",
                marker=dict(size=6, opacity=0.35, color=DIGIT_COLORS[d]),
                hoverinfo="skip",
            )
        )
    if len(class_xy):
        fig.add_trace(
            go.Scatter(
                x=class_xy[:, 0],
                y=class_xy[:, 1],
                mode="markers+text",
                name="our digits",
                text=[str(v) for v in class_labels],
                textposition="middle center",
                textfont=dict(color="white", size=11),
                marker=dict(
                    symbol="star",
                    size=26,
                    color=[DIGIT_COLORS[v] for v in class_labels],
                    line=dict(color="black", width=1.5),
                ),
                hovertemplate="meant %{text}<extra>our digit</extra>",
            )
        )
    fig.update_layout(title=title, height=560, legend=dict(itemsizing="constant"))
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False, scaleanchor="x")
    return fig
