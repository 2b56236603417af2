"""Warm the server in the background, so the first visit to a view doesn't wait for torch.

The home page stays free of torch so it paints at once; meanwhile one thread per server
process imports torch and loads every checkpoint. Evaluations are not started here: on a
fresh clone they are minutes of CPU that a visitor may never ask for. A person reading
the home page for a few seconds then finds the views warm.
"""

from __future__ import annotations

import threading
import time

import streamlit as st

START_DELAY_S = 5.0  # let the first page paint and settle before the warm-up competes for the GIL and the cores


def _warm() -> None:
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


@st.cache_resource(show_spinner=False)
def start_warmup() -> threading.Thread:
    """Once per server process (st.cache_resource), whichever session arrives first."""
    thread = threading.Thread(target=_warm, name="aecl-warmup", daemon=True)
    thread.start()
    return thread
