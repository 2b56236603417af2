"""Presenter mode: for a projector at the front of a class.

Larger type and figures, the sidebar tucked away, one fixed seed (so every rehearsal shows
the same digits); the lesson's Back/Next answer the arrow keys in either mode. It is a sidebar toggle and
`?present=1` in the URL; the toggle lives in `app.py`, so it holds across pages.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from ui.state import set_url, url_flag

PRESENTER_FONT_PX = 22
_CSS = f"""
<style>
html {{ font-size: {PRESENTER_FONT_PX}px; }}
[data-testid="stMainBlockContainer"] {{ max-width: 96%; padding-top: 2.5rem; }}
[data-testid="stMain"] h1 {{ font-size: 2.6rem; }}
</style>
"""


def presenter_toggle() -> bool:
    """The sidebar switch; its first value comes from `?present=1`."""
    on = st.sidebar.toggle(
        "Presenter mode",
        value=url_flag("present"),
        key="present",
        help="Big type for a projector, the sidebar collapsed, fixed digits, arrow keys for the lesson.",
    )
    set_url(present=1 if on else None)
    if on:
        st.html(_CSS)
    return on


def is_presenting() -> bool:
    return bool(st.session_state.get("present", False))


def for_audience(fig: go.Figure, scale: float = 1.6) -> go.Figure:
    """Bigger chart type and a taller chart in presenter mode (a copy: cached figures are shared)."""
    if not is_presenting():
        return fig
    fig = go.Figure(fig)
    fig.update_layout(font=dict(size=18), title_font_size=24, hoverlabel_font_size=18)
    for trace in fig.data:  # sizes a chart set for itself (the grid's MSE labels) grow too
        if getattr(trace, "textfont", None) is not None and trace.textfont.size:
            trace.textfont.size = trace.textfont.size * scale
    for axis in (fig.layout.xaxis, fig.layout.yaxis):
        if axis.tickfont.size:
            axis.tickfont.size = axis.tickfont.size * scale
    if fig.layout.height:
        fig.layout.height = int(fig.layout.height * 1.3)
    return fig
