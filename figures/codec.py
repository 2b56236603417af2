"""Plotly figures of the codec: what a digit costs as numbers and as bits in a file. Pure functions of data."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from core.levels import N_PIXELS, latent_bytes
from figures.colors import FAMILY_COLORS, STAGE_COLORS, STORAGE_SHADES
from figures.study import log_axis_ticks

#: The codec's bars take the colour of the code in the auto-encoder diagram: they are that code, coded.
CODEC_COLOR = STAGE_COLORS["code"]


def numbers_and_bits_bars(latent_dim: int, study_mse: float, points: Sequence[tuple[str, float, float]]) -> go.Figure:
    """Bytes per digit on a log axis: the raw digit, the study's code at `latent_dim` as float32 and 8-bit
    numbers (its test MSE `study_mse`), and each (short label, bytes per digit, MSE) of the codec, from its files.

    Labels are kept short and on one line: the slide export (figures.export) writes them as they are."""
    bars = [
        ("raw digit", float(N_PIXELS), 0.0, FAMILY_COLORS["raw"]),
        (f"d={latent_dim} · float32", float(latent_bytes(latent_dim, "float32")), study_mse, None),
        (f"d={latent_dim} · 8-bit", float(latent_bytes(latent_dim, "uint8")), study_mse, None),
        *[(label, b, mse, CODEC_COLOR) for label, b, mse in points],
    ]
    colors = [c or STORAGE_SHADES["float32" if "float32" in n else "uint8"] for n, _, _, c in bars]
    fig = go.Figure(
        go.Bar(
            x=[n for n, _, _, _ in bars],
            y=[b for _, b, _, _ in bars],
            marker_color=colors,
            text=[f"{b:,.1f} B" + (f"<br>MSE {m:.4f}" if m else "") for _, b, m, _ in bars],
            textposition="outside",
            hovertemplate="%{x}<br>%{y:,.2f} bytes per digit<extra></extra>",
        )
    )
    fig.update_layout(
        title="Bytes per digit: the study's code as numbers, against the codec's real files",
        xaxis_title=f"how the digit is stored: the study's {latent_dim}-number code, or the codec's file at a quality",
        yaxis_title="bytes per digit (log)",
        yaxis_type="log",
        **log_axis_ticks("yaxis", [b for _, b, _, _ in bars]),
        showlegend=False,
        height=460,
    )
    return fig
