"""Model lab: train an auto-encoder of any latent size while you watch, without blocking anything.

The run trains in its own worker process (`core.training.worker`), owned by `core.training.jobs` (one
per model, shared by every browser session); this page only starts it and reads it. The reading is an `st.fragment`
with `run_every`: only the live panel reruns (every POLL_S), not the page, so the other
widgets (and the other pages) stay responsive. The job's key goes into the URL
(`?job=...`), so a reloaded page finds the same run again instead of starting another.

A run belongs to this browser session (an anonymous token in `st.session_state`: the app has
no accounts), so only this session can cancel it. What it trains is a *lab model*, saved apart
from the shipped checkpoints (`core.checkpoints.lab`); whoever runs the server can limit or switch off the
lab with AECL_LAB (README, "Deploying for a class").
"""

import secrets
import time

import pandas as pd
import streamlit as st

from core.checkpoints.files import CheckpointError
from core.checkpoints.lab import LabSettingError, lab_policy
from core.checkpoints.loaded import available_latent_dims, lab_models, model_meta
from core.data.mnist import DataError
from core.levels import MAX_LATENT_DIM, MIN_LATENT_DIM, latent_dim_for
from core.training.jobs import (
    CANCELLED,
    CHARTS_EVERY_S,
    DONE,
    MIN_TRAIN_FRACTION,
    POLL_S,
    RUNNING,
    JobRequestError,
    JobState,
    full_epoch_seconds,
    job_key,
    registry,
)
from figures.lab import training_curve
from figures.study import level_label
from ui.widgets import image_strips, show_model_card

st.title("Model lab")
st.caption(
    "Train an auto-encoder for any code size, from 1 to 784 numbers, and watch it learn. The run goes on "
    "in the background: switch pages, come back, or reload, and it is still there. When it ends, it is saved "
    "as a **lab model**: listed beside the shipped models (labelled “lab”) wherever you pick a model. The "
    "shipped models the other views use are never changed here."
)

try:
    policy = lab_policy()
except LabSettingError as exc:
    st.error(f"The lab's settings on this server can't be read: {exc}")
    st.stop()
if not policy.enabled:
    st.info(
        "**Training is turned off on this server.** Whoever runs it has set `AECL_LAB=off`, so that the "
        "models every visitor sees stay as shipped. Every other page works as usual.\n\n"
        "To enable the lab, start the dashboard with `AECL_LAB=on make run` (or `AECL_LAB=limited` for a class: "
        "short runs on a share of the data, and only the newest lab models kept). See the README, "
        "“Deploying for a class”."
    )
    st.stop()
if policy.mode == "limited":
    st.caption(f"This server limits the lab: {policy.describe()}.")


def my_session() -> str:
    """This browser session's anonymous token: the runs it starts are its own, and only it can cancel them."""
    return st.session_state.setdefault("lab_session", secrets.token_hex(4))


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
    starter run, within this server's limits. (Streamlit forgets a page's widgets when you leave it, so without
    this a visitor coming back mid-run saw the defaults beside a panel training something else.)"""
    if job is not None and job.state().running:
        k = job.key
        return dict(
            lab_size_by="latent dims",
            lab_dim=k.latent_dim,
            lab_epochs=min(k.epochs, policy.max_epochs),
            lab_share=min(round(k.train_fraction * 100, 1), policy.max_fraction * 100),
            lab_seed=k.seed,
        )
    return dict(
        lab_size_by="latent dims",
        lab_dim=20,
        lab_epochs=min(3, policy.max_epochs),
        lab_share=min(10.0, policy.max_fraction * 100),
        lab_seed=0,
    )


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
    epochs = int(st.number_input("epochs", 1, policy.max_epochs, key="lab_epochs"))
with c3:
    share = st.slider(
        "share of the 60,000 training digits (%)",
        MIN_TRAIN_FRACTION * 100,
        policy.max_fraction * 100,
        step=0.5,
        key="lab_share",
        help=per_epoch_hint(latent_dim),
    )
with c4:
    seed = int(st.number_input("seed", 0, 2**31 - 1, key="lab_seed"))

shipped = latent_dim in available_latent_dims()
if shipped:
    st.info(
        f"Latent size {latent_dim} has a shipped model (its card is below). A run here makes a separate **lab "
        "model** of this size, listed beside it; the shipped one stays as it is for every view and every visitor."
    )
    show_model_card(latent_dim, key="lab_existing")
if st.button("Start training", type="primary", key="lab_start"):
    try:
        key = job_key(latent_dim, epochs, seed, round(share / 100, 4))
        registry().submit(key, owner=my_session(), policy=policy)
        st.query_params["job"] = key.token
    except (JobRequestError, DataError) as exc:
        st.error(str(exc))


def duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def live_panel(token: str) -> None:
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
        mine = job.owner == my_session()
        if right.button(
            "Cancel",
            icon=":material/stop_circle:",
            key="lab_cancel",
            disabled=not mine,
            help=None if mine else "Only the session that started this run can cancel it.",
        ):
            try:
                job.cancel(by=my_session())
                st.toast("Cancelling at the next batch; nothing will be written.")
            except JobRequestError as exc:
                st.error(str(exc))
        if not mine:
            st.caption(
                "This run was started by another visitor's session: only that session can cancel it. "
                "One model trains at a time here, so yours can start when this one has finished."
            )
    elif s.status == DONE:
        final = s.history[-1]["test_mse"] if s.history else float("nan")
        st.success(
            f"Done: {s.key.label()} in {s.elapsed_s:.0f} s, test MSE {final:.5f}. Saved as the lab model "
            f"**{level_label(job.model_name)}**, beside the shipped models: open it up in the **Latent explorer**, "
            "or pick it in **Reconstructions** or **Error vs compression**."
        )
        if job.model_name in lab_models():
            show_model_card(job.model_name, key="lab_done")
        else:
            st.caption(
                "This lab model has since been removed to make room for newer ones (the lab keeps only its newest)."
            )
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
    st.fragment(live_panel, run_every=POLL_S if running else None)(job.key.token)

jobs = registry().jobs()
if jobs:
    with st.expander(f"Runs on this server ({len(jobs)})"):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "run": j.key.label(),
                        "started by": "you" if j.owner == my_session() else "another visitor",
                        "status": j.state().status,
                        "progress": j.state().fraction,
                    }
                    for j in jobs
                ]
            ),
            column_config={"progress": st.column_config.ProgressColumn("progress", min_value=0, max_value=1)},
            hide_index=True,
        )


def lab_model_rows() -> list[dict]:
    rows = []
    for name in lab_models():
        try:
            lab = model_meta(name).get("lab") or {}
        except CheckpointError:  # removed or damaged since it was listed: the views say so when it is picked
            continue
        mine = lab.get("run_by") == my_session()
        rows.append(
            {
                "model": level_label(name),
                "trained by": "you" if mine else "another visitor",
                **{"settings": lab.get("settings", ""), "started": lab.get("started_at", "")},
            }
        )
    return rows


lab_rows = lab_model_rows()
if lab_rows:
    with st.expander(f"Lab models on this server ({len(lab_rows)}; the {policy.max_models} newest are kept)"):
        st.dataframe(pd.DataFrame(lab_rows), hide_index=True)
