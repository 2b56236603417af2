"""Warm the server in the background, so the first visit to a view doesn't wait for torch.

The home page, and every page that only draws the shipped records, stay free of torch so they paint at once.
Two steps, each on its own thread: a shared link to a page that runs a network starts importing torch and the
networks as soon as its HTML is asked for (`ModelPageImports`), while the browser is still loading
Streamlit's front end and the server has nothing else to do; once the first page has run, the warm-up loads every
checkpoint (the classifier's and the codec's too) and imports the libraries the views reach for (each a
second of imports the first page to need it would wait for).
What the views compute from the shipped models ships with them (`core.storage.records`), so nothing is
evaluated here.
A person reading the home page for a few seconds then finds the views warm.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import threading
import time

import streamlit as st

from ui.navigation import model_page_paths

#: What every page that runs a network needs first (torch and our networks): the bulk of a shared link's wait
#: on a freshly started server.
SERVING_IMPORTS = ("core.models.inference",)
#: The warm-up starts when the first page's script has finished (app.py), this long after: the page's last
#: messages are sent and its charts drawn in the browser before the warm-up takes the GIL and a core.
START_DELAY_S = 2.0
#: Imported after the models, in this order: what every view draws with (pandas, our figures and their
#: plotly), the image codecs, then what a setting the records don't cover reaches for (the maps' and the
#: two-sample test's scikit-learn, the intervals' statistics, the placer's t-SNE).
VIEW_LIBRARIES = (
    "pandas",
    "figures.study",
    "figures.ratedistortion",
    "figures.claims",
    "imagecodecs",
    "sklearn.neighbors",
    "sklearn.decomposition",
    "scipy.stats",
    "openTSNE",
)


def warm() -> None:
    """The warm-up itself (run on its own thread by `start_warmup`): every failure is left to the page that needs it."""
    time.sleep(START_DELAY_S)
    from core.checkpoints.loaded import available_latent_dims, load_model
    from core.data.mnist import DataError, load_split

    try:
        load_split("test")
    except DataError:
        return  # the pages show the data error and what to do
    for d in available_latent_dims():
        try:
            load_model(d)
        except Exception:  # a broken checkpoint is reported by the page that needs it; warm the rest
            continue
    from core.checkpoints.classifier import ClassifierError, load_classifier

    with contextlib.suppress(ClassifierError):  # the pages that need it say what is wrong
        load_classifier()
    from core.codec.store import list_codec_models, load_rate_model

    for name in list_codec_models():  # the codec's rate models: Compress, Your digit and Rate–distortion use them
        try:
            load_rate_model(name)
        except Exception:  # reported by the page that needs it
            continue
    _import_each(VIEW_LIBRARIES)
    _draw_once()


def _import_each(names: tuple[str, ...]) -> None:
    """Import each module in turn; one that fails is left to the page that needs it, which says so."""
    for name in names:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _draw_once() -> None:
    """Build and serialise a tiny figure of each kind the views draw: plotly loads each trace's and the layout's
    validators on first use, a third of a second the first page to draw a digit grid would otherwise wait for."""
    import numpy as np
    import plotly.graph_objects as go
    import plotly.io as pio

    from figures.lab import image_rows

    grid = image_rows([("a", np.zeros((2, 28, 28), np.float32))], ["0", "1"], "warm-up")
    traces = go.Figure([go.Scatter(x=[0, 1], y=[0, 1]), go.Bar(x=[0], y=[1]), go.Scattergl(x=[0], y=[0])])
    traces.update_layout(xaxis_title="x", yaxis_type="log", legend=dict(orientation="h"))
    for fig in (grid, traces):
        pio.to_json(fig)


class ModelPageImports:
    """ASGI middleware (added by `ui.serve`): the first request for a page that runs a network, a shared link's
    HTML, starts importing `SERVING_IMPORTS` on a thread, while the browser is still loading Streamlit's front
    end and the server has nothing else to do. The home page and the torch-free pages never start it: there
    the import would only compete with the page (the newcomer's torch comes with the warm-up instead)."""

    def __init__(self, app) -> None:
        self.app = app
        self.paths = model_page_paths()

    async def __call__(self, scope, receive, send) -> None:
        page = scope["path"].rstrip("/").rsplit("/", 1)[-1] if scope["type"] == "http" else None
        if page in self.paths and scope.get("method") == "GET":
            start_serving_imports()
        await self.app(scope, receive, send)


@functools.cache
def start_serving_imports() -> threading.Thread:
    """Once per server process: import what a page that runs a network needs first, on its own thread."""
    thread = threading.Thread(target=_import_each, args=(SERVING_IMPORTS,), name="aecl-model-imports", daemon=True)
    thread.start()
    return thread


@st.cache_resource(show_spinner=False)
def start_warmup() -> threading.Thread:
    """Once per server process (st.cache_resource), whichever session arrives first."""
    thread = threading.Thread(target=warm, name="aecl-warmup", daemon=True)
    thread.start()
    return thread
