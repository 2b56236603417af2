"""Model lab: train an auto-encoder of any latent size while you watch, without blocking anything.

The run lives in a background thread owned by `core.jobs` (one per model, shared by every
browser session); this page only starts it and reads it. The reading is an `st.fragment`
with `run_every`: only the live panel reruns (every POLL_S), not the page, so the other
widgets (and the other pages) stay responsive. The job's key goes into the URL
(`?job=...`), so a reloaded page finds the same run again instead of starting another.
"""

import time

import pandas as pd
import streamlit as st

from core.data import DataError
from core.jobs import (
    CANCELLED,
    CHARTS_EVERY_S,
    DONE,
    MAX_EPOCHS,
    MIN_TRAIN_FRACTION,
    POLL_S,
    RUNNING,
    JobRequestError,
    JobState,
    full_epoch_seconds,
    job_key,
    registry,
)
from core.lab_figures import training_curve
from core.levels import MAX_LATENT_DIM, MIN_LATENT_DIM, latent_dim_for
from core.store import available_latent_dims
from ui.widgets import image_strips, model_card

st.title("Model lab")
st.caption(
    "Train an auto-encoder for any code size, from 1 to 784 numbers, and watch it learn. The run goes on "
    "in the background: switch pages, come back, or reload, and it is still there. When it ends, the model "
    "is saved like every other checkpoint and shows up in every view."
)


def watched_job(quiet: bool = False):
    """The job named in the URL, else whatever is training on this server right now."""
    token = st.query_params.get("job")
    job = registry().find(token) if token else None
    if token and job is None and not quiet:
        st.info("The run in this link is not known to this server (it may have been restarted).")
    if job is None and registry().running():
        job = registry().running()[0]
        st.query_params["job"] = job.key.token  # keep following it after it ends, and across reloads
    return job


def form_defaults(job) -> dict:
    """What the form shows when first drawn in a visit: the run being watched while it trains, else a quick
    starter run. (Streamlit forgets a page's widgets when you leave it, so without this a visitor coming back
    mid-run saw the defaults beside a panel training something else.)"""
    if job is not None and job.state().running:
        k = job.key
        return dict(
            lab_size_by="latent dims",
            lab_dim=k.latent_dim,
            lab_epochs=k.epochs,
            lab_share=round(k.train_fraction * 100, 1),
            lab_seed=k.seed,
        )
    return dict(lab_size_by="latent dims", lab_dim=20, lab_epochs=3, lab_share=10.0, lab_seed=0)


def per_epoch_hint(latent_dim: int) -> str:
    """How long a full-data epoch took when a checkpoint of about this size was trained: measured, not guessed."""
    timing = full_epoch_seconds(latent_dim)
    if timing is None:
        return "A small share trains in seconds (and shows how much data matters)."
    seconds, reference_dim = timing
    return (
        "A small share trains in seconds (and shows how much data matters). With 100 %, an epoch took "
        f"about {seconds:.0f} s when the d={reference_dim} checkpoint was trained."
    )


st.subheader("Train a model")
for name, value in form_defaults(watched_job(quiet=True)).items():
    st.session_state.setdefault(name, value)
st.session_state.setdefault("lab_pct", 97.5)
c1, c2, c3, c4 = st.columns([1.3, 1, 1.3, 1])
with c1:
    size_by = st.radio("size by", ["latent dims", "compression %"], horizontal=True, key="lab_size_by")
    if size_by == "latent dims":
        latent_dim = int(st.number_input("latent dims", MIN_LATENT_DIM, MAX_LATENT_DIM, key="lab_dim"))
    else:
        pct = st.number_input("compression %", 0.0, 99.9, step=0.5, key="lab_pct")
        latent_dim = latent_dim_for(pct)
        st.caption(f"→ {latent_dim} latent dims")
with c2:
    epochs = int(st.number_input("epochs", 1, MAX_EPOCHS, key="lab_epochs"))
with c3:
    share = st.slider(
        "share of the 60,000 training digits (%)",
        MIN_TRAIN_FRACTION * 100,
        100.0,
        step=0.5,
        key="lab_share",
        help=per_epoch_hint(latent_dim),
    )
with c4:
    seed = int(st.number_input("seed", 0, 2**31 - 1, key="lab_seed"))

exists = latent_dim in available_latent_dims()
overwrite = False
if exists:
    st.warning(
        f"A checkpoint for latent size {latent_dim} already exists (its card is below). A new run replaces it, "
        "for every view and every visitor."
    )
    model_card(latent_dim, key="lab_existing")
    overwrite = st.checkbox(f"Replace the checkpoint for latent size {latent_dim}", key="lab_overwrite")
if st.button("Start training", type="primary", disabled=exists and not overwrite, key="lab_start"):
    try:
        key = job_key(latent_dim, epochs, seed, round(share / 100, 4))
        registry().submit(key, overwrite=overwrite)
        st.query_params["job"] = key.token
    except (JobRequestError, DataError) as exc:
        st.error(str(exc))


def duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def live_panel(token: str, card_above: bool) -> None:
    """Progress, loss curve and sample reconstructions of one job; reruns on its own while it trains."""
    job = registry().find(token)
    s = job.state()
    if s.running:
        st.session_state["lab_watching"] = token
    elif st.session_state.get("lab_watching") == token:
        del st.session_state["lab_watching"]
        st.rerun(scope="app")  # the run just ended: redraw the page so the new checkpoint is everywhere

    if s.status == RUNNING:
        left, right = st.columns([5, 1])
        left_s = "" if s.seconds_left is None else f", about {duration(s.seconds_left)} left"
        where = (
            f"epoch {s.epoch} of {s.key.epochs}, {s.fraction:.0%}, {s.elapsed_s:.0f} s{left_s}, "
            f"running loss {s.train_loss:.5f}"
            if s.epoch
            else "loading the digits and building the model…"
        )
        left.progress(s.fraction, text=f"Training {s.key.label()}: {where}")
        if right.button("Cancel", icon=":material/stop_circle:", key="lab_cancel"):
            job.cancel()
            st.toast("Cancelling at the next batch; nothing will be written.")
    elif s.status == DONE:
        final = s.history[-1]["test_mse"] if s.history else float("nan")
        st.success(
            f"Done: {s.key.label()} in {s.elapsed_s:.0f} s, test MSE {final:.5f}. Saved as "
            f"`{s.checkpoint.name}`; it is now in every view: open it up in the **Latent explorer**."
        )
        if not card_above:
            model_card(s.key.latent_dim, key="lab_done")
    elif s.status == CANCELLED:
        st.info(f"Cancelled: {s.key.label()}. Nothing was written.")
    else:
        st.error(f"Training {s.key.label()} failed: {s.error}")

    shown = charted_state(token, s)
    if shown.steps or shown.history:
        st.plotly_chart(training_curve(shown.history, shown.steps, shown.key.epochs), width="stretch", key="lab_curve")
    if shown.snapshots:
        st.markdown("**One test digit per class, reconstructed as it trains**")
        image_strips([("original", job.sample_images), *shown.snapshots[-5:]], [f"digit {d}" for d in range(10)])


def charted_state(token: str, s: JobState) -> JobState:
    """The state the charts show: `s` when the run ends or CHARTS_EVERY_S after the last one shown.

    Between those the charts are sent unchanged, which the browser does not redraw."""
    key = f"lab_charted_{token}"
    shown, at = st.session_state.get(key, (None, 0.0))
    fresh = shown is None or not s.running or time.monotonic() - at >= CHARTS_EVERY_S
    if fresh:
        st.session_state[key] = (s, time.monotonic())
        return s
    return shown


st.subheader("Training")
job = watched_job()
if job is None:
    st.info("Nothing is training on this server. Pick a size above and press **Start training**.")
else:
    running = job.state().running
    st.fragment(live_panel, run_every=POLL_S if running else None)(job.key.token, job.key.latent_dim == latent_dim)

jobs = registry().jobs()
if jobs:
    with st.expander(f"Runs on this server ({len(jobs)})"):
        st.dataframe(
            pd.DataFrame(
                [{"run": j.key.label(), "status": j.state().status, "progress": j.state().fraction} for j in jobs]
            ),
            column_config={"progress": st.column_config.ProgressColumn("progress", min_value=0, max_value=1)},
            hide_index=True,
        )
