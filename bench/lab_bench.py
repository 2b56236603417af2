"""Benchmarks of the model lab and the latent explorer (issue: train live, explore the latent space).

- A slider move in the latent explorer → the decoded digit, server-side: the whole page
  script rerun under Streamlit's AppTest (an upper bound: in a browser only the sliders'
  fragment reruns), and the core calls + figure build + JSON alone.
- Training per epoch through the dashboard (started by clicking Start in Chromium, the
  live panel polling it) against `python -m core.train` on the same configuration.
- A page switch (clicking in the sidebar) while a model trains, against the same switch idle.

Chromium runs at a lower CPU priority here, as in the load test (bench.load_bench): a
visitor's browser draws on the visitor's machine, not on the server's two cores.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from core.checkpoints.files import CheckpointPaths
from core.checkpoints.loaded import available_latent_dims
from core.levels import MAX_LATENT_DIM
from core.paths import REPO_ROOT
from core.training.jobs import CHARTS_EVERY_S, MAX_EPOCHS, POLL_S, WORKER_NICENESS

EXPLORER = str(REPO_ROOT / "pages" / "latent_explorer.py")
#: The configuration both trainers run: a size not shipped, 10 % of the digits (the lab's default share), and
#: enough epochs that the median per-epoch time is not set by the first (the page drawn after Start lands in it).
BENCH_DIM, BENCH_EPOCHS, BENCH_FRACTION = 20, 6, 0.1
#: Rounds of a CLI run, a watched lab run and an unwatched one (unshipped sizes from BENCH_DIM up), in turn and in
#: reverse order every other round, so load on the shared machine, and its drift, falls on every side alike.
ROUNDS = 6
#: Paired phases during one long run: the browser on Home, then watching the lab, this many times, each this long.
WATCH_PHASES, WATCH_PHASE_S = 3, 15
SWITCH_PAGES = [("Reconstructions", "Original vs reconstructed digits"), ("Per-digit error", "Error per digit")]


def slider_move(latent_dim: int = 8, moves: int = 15) -> dict:
    """Median ms from a slider's new value to the page's decoded digit, two ways."""
    from streamlit.testing.v1 import AppTest

    from core.data.mnist import load_split
    from core.explore.latent import code_stats
    from core.models.inference import ae_decode, ae_encode
    from figures.lab import image_rows

    at = AppTest.from_file(EXPLORER, default_timeout=180)
    at.session_state["lx_level"] = latent_dim
    at.run()
    stats = code_stats(latent_dim)
    dim = int(stats.top_dims(1)[0])  # shown at every size (large latents show the top-k dims)
    key = f"lx_z_{latent_dim}_test0_{dim}"
    values = np.linspace(stats.low[dim], stats.high[dim], moves + 1)
    at.slider(key=key).set_value(float(values[0])).run()  # warm-up
    apptest = []
    for v in values[1:]:
        slider = at.slider(key=key).set_value(float(v))
        start = time.perf_counter()
        slider.run()
        apptest.append(time.perf_counter() - start)
    assert not at.exception, [e.message for e in at.exception]

    digit = load_split("test").float_images()[0]  # the page's default start digit
    core_ms = []
    for v in values[1:]:
        start = time.perf_counter()
        code = ae_encode(latent_dim, digit[None])[0]
        moved = code.copy()
        moved[dim] = v
        out = ae_decode(latent_dim, np.stack([code, moved]))
        image_rows([("", np.stack([digit, out[0], out[1]]))], ["a", "b", "c"], cell_px=190).to_json()
        core_ms.append(time.perf_counter() - start)
    return {
        "latent_dim": latent_dim,
        "apptest_ms": statistics.median(apptest) * 1000,
        "apptest_best_ms": min(apptest) * 1000,
        "core_ms": statistics.median(core_ms) * 1000,
        "core_best_ms": min(core_ms) * 1000,
        "moves": moves,
    }


def _per_epoch_s_of(history: list[dict]) -> list[float]:
    elapsed = [row["elapsed_s"] for row in history]
    return [b - a for a, b in zip([0.0, *elapsed[:-1]], elapsed, strict=True)]


def _per_epoch_s(meta_path: Path) -> list[float]:
    return _per_epoch_s_of(json.loads(meta_path.read_text())["history"])


def _cli_epochs(folder: Path, latent_dim: int) -> list[float]:
    cmd = [sys.executable, "-m", "core.train", "--latent-dim", str(latent_dim), "--epochs", str(BENCH_EPOCHS)]
    cmd += ["--train-fraction", str(BENCH_FRACTION)]
    env = {**os.environ, "AECL_CHECKPOINT_DIR": str(folder)}
    subprocess.run(cmd, cwd=REPO_ROOT, env=env, check=True, capture_output=True)
    return _per_epoch_s(CheckpointPaths.for_latent_dim(latent_dim, folder).meta)


def _lab_meta(lab: Path, latent_dim: int, seen: set[Path], timeout_s: float = 900) -> Path:
    """The sidecar of the lab run of `latent_dim` that wasn't in `lab` before (each run saves under its own name,
    `core.checkpoints.lab.lab_model_name`); waits for it to be written."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        new = sorted(set(lab.glob(f"ae_d{latent_dim:03d}_lab_*.json")) - seen)
        if new:
            seen.add(new[0])
            return new[0]
        time.sleep(0.5)
    raise TimeoutError(f"no lab model of d={latent_dim} appeared in {lab}")


def job_overhead(rounds: int = 2) -> dict:
    """The job manager alone: `train()` called directly vs through a job, alternating, in this process."""
    from core.training.jobs import JobRegistry, job_key
    from core.training.trainer import TrainConfig, train

    direct, job = [], []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(rounds):
            config = TrainConfig(latent_dim=BENCH_DIM, epochs=BENCH_EPOCHS, train_fraction=BENCH_FRACTION)
            history = train(config).history
            direct += _per_epoch_s_of(history)
            key = job_key(BENCH_DIM, BENCH_EPOCHS, 0, BENCH_FRACTION)
            run = JobRegistry().submit(key, folder=Path(folder))
            run.wait()
            job += _per_epoch_s_of(run.state().history)
    return {"direct_s": statistics.median(direct), "job_s": statistics.median(job)}


def _switch(page, link: str, heading: str) -> float:
    from tests.browser import wait_for_app

    start = time.perf_counter()
    page.get_by_role("link", name=link).first.click()
    page.get_by_role("heading", name=heading).wait_for(timeout=120_000)
    return wait_for_app(page) - start


def _switches(page, n: int) -> list[float]:
    return [_switch(page, *SWITCH_PAGES[i % 2]) for i in range(n)]


def _start_in_lab(page, url: str, latent_dim: int, epochs: int, whole_set: bool = False) -> None:
    """Open the lab, type the size and epochs (share: the default 10 %, or all digits), press Start."""
    from tests.browser import wait_for_app

    page.goto(f"{url}/model-lab")
    wait_for_app(page)
    for name, value in (("latent dims", latent_dim), ("epochs", epochs)):
        box = page.get_by_role("spinbutton", name=name)
        box.fill(str(value))
        box.press("Enter")
        wait_for_app(page)
    if whole_set:
        page.locator("[data-testid='stSlider']").filter(has_text="share").get_by_role("slider").press("End")
        wait_for_app(page)
    page.get_by_role("button", name="Start training").click()
    page.get_by_text(f"Training d={latent_dim}", exact=False).first.wait_for(timeout=60_000)


@contextlib.contextmanager
def _metered(server_pid: int, into: dict[str, float]) -> Iterator[None]:
    """CPU seconds of the server, Chromium and the training worker over a `with`, added into `into`."""
    from bench.load_bench import CpuMeter

    meter, start = CpuMeter(server_pid), time.perf_counter()
    with meter.sampling():
        yield
    into["wall"] = into.get("wall", 0.0) + time.perf_counter() - start
    for who in ("server", "browser", "trainer"):
        into[who] = into.get(who, 0.0) + meter.seconds(who)


def _unshipped_sizes(n: int) -> list[int]:
    """`n` latent sizes from BENCH_DIM up with no checkpoint yet (the lab asks before replacing one)."""
    shipped = set(available_latent_dims())
    return [d for d in range(BENCH_DIM, MAX_LATENT_DIM + 1) if d not in shipped][:n]


def dashboard_training_and_switches(switches: int = 7) -> dict:
    """One server on a copy of the checkpoints: a watched run (per-epoch times), then switches idle and busy."""
    from playwright.sync_api import sync_playwright

    from bench.load_bench import browser_yields_to_server
    from tests.browser import launch_chromium, streamlit_server, wait_for_app

    tmp = Path(tempfile.mkdtemp(prefix="lab-bench-"))
    folder = tmp / "checkpoints"
    folder.mkdir()
    lab = folder / "lab"  # where the dashboard's lab saves its runs
    seen: set[Path] = set()
    server_env = {"AECL_CHECKPOINT_DIR": str(folder), "AECL_LAB_DIR": str(lab)}
    for d in available_latent_dims():
        for f in (CheckpointPaths.for_latent_dim(d).weights, CheckpointPaths.for_latent_dim(d).meta):
            shutil.copy(f, folder / f.name)
    cli_folder = tmp / "cli"
    cli, dashboard, unwatched = [], [], []
    cores: dict[str, dict[str, float]] = {"watched": {}, "unwatched": {}}  # who -> CPU seconds, and "wall"
    started: list = []
    phases: dict[str, list[float]] = {"home": [], "lab": []}  # cores the training worker got, per phase

    def metered(phase: str):
        return _metered(started[0].pid, cores[phase])

    try:
        with (
            streamlit_server(env=server_env, started=started) as url,
            sync_playwright() as p,
        ):
            browser = launch_chromium(p)
            browser_yields_to_server()
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            wait_for_app(page)
            _switches(page, 2)  # warm the two pages' caches
            idle = _switches(page, switches)

            def run_cli(d: int) -> None:
                cli.append(_cli_epochs(cli_folder, d))

            def run_watched(d: int) -> None:
                with metered("watched"):
                    _start_in_lab(page, url, d, BENCH_EPOCHS)
                    page.get_by_text(f"Done: d={d}", exact=False).wait_for(timeout=900_000)
                dashboard.append(_per_epoch_s(_lab_meta(lab, d, seen)))

            def run_unwatched(d: int) -> None:
                with metered("unwatched"):
                    _start_in_lab(page, url, d, BENCH_EPOCHS)
                    page.goto(url)  # Home: no live panel polling, no charts for Chromium to redraw
                    meta = _lab_meta(lab, d, seen)
                unwatched.append(_per_epoch_s(meta))

            sizes = _unshipped_sizes(2 * ROUNDS + 1)
            for r in range(ROUNDS):  # the CLI; the same run watched in the lab; one started, then left
                d = sizes[2 * r]
                runs = [(run_cli, d), (run_watched, d), (run_unwatched, sizes[2 * r + 1])]
                for run, size in runs if r % 2 == 0 else reversed(runs):  # ABC CBA: a drifting machine cancels out
                    run(size)

            # long enough to outlast what follows on any host (a 40-epoch run on 10 % of the digits ended
            # before the Cancel below on a fast one): every digit, the most epochs the lab allows
            _start_in_lab(page, url, sizes[-1], MAX_EPOCHS, whole_set=True)
            page.wait_for_timeout(3000)  # past data loading: the run is in its training steps
            busy = _switches(page, switches)
            for i in range(2 * WATCH_PHASES):  # Home and the watched lab in turn, during one run
                phase = "home" if i % 2 == 0 else "lab"
                # by the sidebar, not a reload: the session that started the run stays, and only it may cancel
                page.get_by_role("link", name="Home" if phase == "home" else "Model lab").first.click()
                wait_for_app(page)
                page.wait_for_timeout(1000)
                used: dict[str, float] = {}
                with _metered(started[0].pid, used):
                    page.wait_for_timeout(WATCH_PHASE_S * 1000)
                phases[phase].append(used["trainer"] / used["wall"])
            page.get_by_role("link", name="Model lab").first.click()
            wait_for_app(page)
            page.get_by_role("button", name="Cancel").click()
            page.get_by_text("Cancelled", exact=False).wait_for(timeout=60_000)
            browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    cli_all, dashboard_all = [x for c in cli for x in c], [x for d in dashboard for x in d]
    unwatched_all = [x for u in unwatched for x in u]
    round_ratios = [statistics.median(d) / statistics.median(c) for c, d in zip(cli, dashboard, strict=True)]
    return {
        "cores": {
            phase: {who: seconds / used["wall"] for who, seconds in used.items() if who != "wall"}
            for phase, used in cores.items()
        },
        "median_round_ratio": statistics.median(round_ratios),
        "phase_cores": phases,
        "phase_ratio": statistics.median(phases["home"]) / statistics.median(phases["lab"]),
        "unwatched_s_per_epoch": statistics.median(unwatched_all),
        "unwatched_ratio": statistics.median(unwatched_all) / statistics.median(cli_all),
        "unwatched_all": [[round(x, 2) for x in u] for u in unwatched],
        "cli_s_per_epoch": statistics.median(cli_all),
        "dashboard_s_per_epoch": statistics.median(dashboard_all),
        "ratio": statistics.median(dashboard_all) / statistics.median(cli_all),
        "cli_best_s": min(cli_all),
        "dashboard_best_s": min(dashboard_all),
        "best_ratio": min(dashboard_all) / min(cli_all),
        "round_ratios": [round(r, 2) for r in round_ratios],
        "cli_all": [[round(x, 2) for x in c] for c in cli],
        "dashboard_all": [[round(x, 2) for x in d] for d in dashboard],
        "idle_switch_s": statistics.median(idle),
        "busy_switch_s": statistics.median(busy),
        "switch_ratio": statistics.median(busy) / statistics.median(idle),
        "idle_all": [round(x, 2) for x in idle],
        "busy_all": [round(x, 2) for x in busy],
    }


def section() -> str:
    """bench/results/lab.md: the three targets of the issue, each with its measurement."""
    from bench.load_bench import BROWSER_NICENESS
    from bench.report import stamp, table

    moves = [slider_move(d) for d in (8, 392)]
    j = job_overhead()
    t = dashboard_training_and_switches()
    config = f"d={BENCH_DIM}, {BENCH_EPOCHS} epochs, {BENCH_FRACTION:.0%} of the training digits"
    ok = lambda cond: "yes" if cond else "**no**"  # noqa: E731
    rows = [
        [
            f"slider move → decoded digit, d={m['latent_dim']}: whole page rerun (AppTest, median of {m['moves']})",
            f"{m['apptest_ms']:.0f} ms (best {m['apptest_best_ms']:.0f})",
            "≤ 150 ms",
            ok(m["apptest_ms"] <= 150),
        ]
        for m in moves
    ]
    rows += [
        [
            f"the same: encode + decode + figure to JSON only, d={m['latent_dim']}",
            f"{m['core_ms']:.1f} ms (best {m['core_best_ms']:.1f})",
            "",
            "",
        ]
        for m in moves
    ]
    rows += [
        [f"s / epoch, `python -m core.train` ({config})", f"{t['cli_s_per_epoch']:.2f}", "", ""],
        [f"s / epoch, started and watched in the lab ({config})", f"{t['dashboard_s_per_epoch']:.2f}", "", ""],
        [
            "s / epoch, `train()` called in the bench's process vs through the job manager (its worker process)",
            f"{j['direct_s']:.2f} vs {j['job_s']:.2f} (ratio {j['job_s'] / j['direct_s']:.2f})",
            "",
            "",
        ],
        ["lab (watched) / CLI per-epoch ratio (medians)", f"{t['ratio']:.2f}", "≤ 1.1", ok(t["ratio"] <= 1.1)],
        [
            f"the same, median of the {ROUNDS} rounds' ratios (a round disturbed by other load counts once)",
            f"{t['median_round_ratio']:.2f}",
            "≤ 1.1",
            ok(t["median_round_ratio"] <= 1.1),
        ],
        [
            f"training worker's cores with the browser on Home / watching the lab, {WATCH_PHASES} paired "
            f"{WATCH_PHASE_S} s phases during one run (a slowdown from watching, free of the machine's drift)",
            f"{t['phase_ratio']:.3f} ({statistics.median(t['phase_cores']['home']):.2f} / "
            f"{statistics.median(t['phase_cores']['lab']):.2f})",
            "",
            "",
        ],
        *[
            [
                f"cores used while a lab run trains, {phase}: training worker / server / Chromium (of 2)",
                " / ".join(f"{t['cores'][phase].get(who, 0):.2f}" for who in ("trainer", "server", "browser")),
                "",
                "",
            ]
            for phase in ("watched", "unwatched")
        ],
        [
            f"s / epoch, started in the lab, browser then on Home ({config})",
            f"{t['unwatched_s_per_epoch']:.2f}",
            "",
            "",
        ],
        [
            "lab (not watched) / CLI per-epoch ratio (medians)",
            f"{t['unwatched_ratio']:.2f}",
            "≤ 1.1",
            ok(t["unwatched_ratio"] <= 1.1),
        ],
        [
            "lab (watched) / CLI ratio of the fastest epochs (least disturbed by other load)",
            f"{t['best_ratio']:.2f} ({t['dashboard_best_s']:.2f} / {t['cli_best_s']:.2f} s)",
            "≤ 1.1",
            ok(t["best_ratio"] <= 1.1),
        ],
        ["page switch in Chromium, idle (median, s)", f"{t['idle_switch_s']:.2f}", "", ""],
        ["page switch in Chromium while a model trains (median, s)", f"{t['busy_switch_s']:.2f}", "", ""],
        ["busy / idle page-switch ratio", f"{t['switch_ratio']:.2f}", "≤ 2×", ok(t["switch_ratio"] <= 2)],
    ]
    return (
        "## Model lab and latent explorer\n\n"
        + stamp()
        + "\n"
        + table(["measure", "value", "target", "met"], rows)
        + "\n\nSlider: AppTest reruns the whole explorer script (model picker, card, sliders, decode, figure, "
        "interpolation strip), so it is an upper bound; in a browser a slider move reruns only the sliders' "
        "fragment. Training: per-epoch times come from each checkpoint's recorded history (training steps and "
        f"the per-epoch test evaluation, data loading excluded); CLI, watched and unwatched lab runs take turns, "
        f"{ROUNDS} rounds, every other one in reverse order "
        f"(per-round ratios {t['round_ratios']}). CLI epochs (s): {t['cli_all']}; lab epochs, watched (s): "
        f"{t['dashboard_all']}; not watched (s): {t['unwatched_all']}. Watching means Chromium, on the same two "
        "cores as the training (a visitor's own browser would not be), keeps the lab open: the live panel polls every "
        f"{POLL_S:g} s and redraws its loss curve at most every {CHARTS_EVERY_S:g} s. The lab's training worker "
        f"runs at nice {WORKER_NICENESS} (the server at 0, Chromium at {BROWSER_NICENESS}), `python -m core.train` "
        "at 0. Page switches "
        "alternate Reconstructions and Per-digit error by clicking the sidebar, timed until the page script "
        f"finishes; idle (s): {t['idle_all']}; while training (s): {t['busy_all']}.\n"
    )
