"""Have the browser fetch Streamlit's chart library while a person reads the home page.

Streamlit's front end loads plotly.js, a large script, only when a page first draws a plotly chart, and the
browser then parses it before that page looks finished. The home page draws no chart, so without this the
newcomer's first click to a chart waits for it; with it, the script is already in the browser's module map
when the page asks for it (the same URL, so the same module). If a later Streamlit names its chunk
differently, nothing is fetched and that first chart just loads as before.
"""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

#: Once the home page has settled (its script done, its digits drawn), so the fetch doesn't compete with it.
PREFETCH_DELAY_MS = 2000
#: Where Streamlit keeps its front end's script chunks, and the name pattern of its plotly chart's chunk.
STREAMLIT_SCRIPTS = Path(st.__file__).parent / "static" / "static" / "js"
PLOTLY_CHUNK = "PlotlyChart.*.js"


@functools.cache
def plotly_chunk_name() -> str | None:
    """The file name of the front end's plotly chunk, or None when there isn't exactly one."""
    found = sorted(STREAMLIT_SCRIPTS.glob(PLOTLY_CHUNK))
    return found[0].name if len(found) == 1 else None


def prefetch_chart_library() -> None:
    """An invisible element that, after `PREFETCH_DELAY_MS`, imports the plotly chunk beside Streamlit's own
    entry script (which is where the front end's lazy import resolves it)."""
    name = plotly_chunk_name()
    if name is None:
        return
    st.html(
        f"""<script>
setTimeout(() => {{
  const entry = document.querySelector('script[type="module"][src*="static/js/index."]');
  if (entry) import(new URL("./{name}", entry.src).href).catch(() => {{}});
}}, {PREFETCH_DELAY_MS});
</script>""",
        unsafe_allow_javascript=True,
    )
