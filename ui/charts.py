"""Options every page's plotly charts share; free of torch, so a page that only draws records paints at once."""

from __future__ import annotations


def png_download(filename: str) -> dict:
    """Plotly config for `st.plotly_chart`: the toolbar's camera saves a 2x PNG under a telling name."""
    return {"toImageButtonOptions": {"filename": filename, "scale": 2}, "displaylogo": False}
