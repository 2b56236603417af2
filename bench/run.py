"""`make bench`: run every benchmark and write bench/results.md.

    python -m bench.run                   # everything (~30 min: it trains the baseline)
    python -m bench.run --only dashboard  # one section; the other sections keep their last figures

Each section is written to bench/results/<section>.md as soon as it finishes, and
bench/results.md is assembled from all section files, so a partial run loses nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys

from bench.report import stamp, table
from core.levels import STUDY_LATENT_DIMS
from core.paths import REPO_ROOT

RESULTS = REPO_ROOT / "bench" / "results.md"
SECTIONS_DIR = REPO_ROOT / "bench" / "results"
ORDER = [
    "training",
    "inference",
    "startup",
    "quality",
    "dashboard",
    "first_visit",
    "your_digit",
    "lesson",
    "ratedistortion",
    "compress",
    "codec",
    "claims",
    "mixing",
    "lab",
    "classroom",
    "seeds",
    "reliability",
]


def section_training() -> str:
    from bench.core_bench import baseline_seconds_per_epoch_fresh_process, training_speed_on
    from bench.targets import ISSUE_BASELINE_S_PER_EPOCH
    from core.checkpoints.loaded import available_latent_dims
    from core.training.trainer import EPOCH_TEST_IMAGES

    baseline_before = baseline_seconds_per_epoch_fresh_process()
    rows = training_speed_on("pinned", available_latent_dims())
    native = {r["latent_dim"]: r for r in training_speed_on("native", available_latent_dims())}
    baseline_s = (baseline_before + baseline_seconds_per_epoch_fresh_process()) / 2  # before and after: hosts drift
    study = [r for r in rows if r["latent_dim"] in STUDY_LATENT_DIMS]
    total = sum(r["train_wall_s"] for r in study)
    # as training runs: every epoch's steps, the test sample scored after all but the last, the whole set after that
    estimate = sum(
        r["s_per_epoch"] * r["epochs"] + r["sample_eval_s"] * (r["epochs"] - 1) + r["test_eval_s"] for r in study
    )
    speed = ISSUE_BASELINE_S_PER_EPOCH / baseline_s
    narrowest = study[0]
    pinned_cost = statistics.median(r["s_per_epoch"] / native[r["latent_dim"]]["s_per_epoch"] for r in rows)
    return (
        "## Training speed\n\n"
        + stamp()
        + "\n"
        + table(
            [
                "latent dims",
                "network",
                f"s / epoch now ({rows[0]['kernels']} kernels, as training runs)",
                f"s / epoch now ({native[rows[0]['latent_dim']]['kernels']} kernels, native)",
                "+ scoring the epoch's test sample / all 10,000 (s)",
                "train images / s",
                "s / epoch (recorded when shipped)",
                "epochs",
                "shipped training wall time (s)",
            ],
            [
                [
                    r["latent_dim"],
                    r["network"],
                    f"{r['s_per_epoch']:.1f}",
                    f"{native[r['latent_dim']]['s_per_epoch']:.1f}",
                    f"{r['sample_eval_s']:.1f} / {r['test_eval_s']:.1f}",
                    f"{r['train_images_per_s']:.0f}",
                    f"{r['s_per_epoch_recorded']:.1f}",
                    r["epochs"],
                    f"{r['train_wall_s']:.0f}",
                ]
                for r in rows
            ],
        )
        + (
            f"\n\nRebuilding the four study levels took **{total / 60:.1f} min** of training wall time "
            "(sum of the shipped checkpoints' recorded times, each from the host that trained it; target ≤ 30 min). "
            f"From the times measured now (each epoch's training steps, the {EPOCH_TEST_IMAGES:,}-image test sample "
            "scored after every epoch but the last, and the whole test set after the last), "
            f"the same rebuild is **{estimate / 60:.1f} min**. "
            "Per-epoch figures are medians "
            "(of 35 timed steps now; of the recorded epochs for the shipped models). "
            "Training runs on kernels pinned to AVX2 so that every host gives the same weights "
            "(core/training/cpu_kernels.py); "
            f"on this host that costs x{pinned_cost:.2f} per epoch (median over the sizes) "
            "against its native kernels.\n\n"
            f"How fast the host is running: the plain baseline (d=39, native kernels) takes **{baseline_s:.1f} s per "
            f"epoch** now (measured the same way, before and after the rows above: {baseline_before:.1f} s first); "
            f"the issue measured about {ISSUE_BASELINE_S_PER_EPOCH:.0f} s on this machine. Scaled by that ratio "
            f"(x{speed:.2f}) the estimate above is **{estimate * speed / 60:.1f} min**. The ratio is a rough "
            "yardstick across hosts: how many baseline epochs one of ours costs differs from host to host (here "
            f"and now {narrowest['s_per_epoch'] / baseline_s:.1f} at d={narrowest['latent_dim']}, on native kernels "
            f"{native[narrowest['latent_dim']]['s_per_epoch'] / baseline_s:.1f}).\n"
        )
    )


def section_inference() -> str:
    from bench.core_bench import inference_speed
    from core.checkpoints.loaded import available_latent_dims

    rows = inference_speed(available_latent_dims())
    return (
        "## Inference speed\n\n"
        + stamp()
        + "\n"
        + table(
            ["latent dims", "images / s at batch 1", "images / s at batch 1024"],
            [[r["latent_dim"], f"{r['batch1_images_per_s']:.0f}", f"{r['batch1024_images_per_s']:.0f}"] for r in rows],
        )
        + "\n\nMedians of 200 (batch 1) and 7 (batch 1024) timed forward passes.\n"
    )


def section_startup() -> str:
    from bench.core_bench import startup_times

    s = startup_times()
    return (
        "## Start-up in a fresh process\n\n"
        + stamp()
        + "\n"
        + table(
            ["step", "median of 5 (s)"],
            [
                ["import core + load train and test splits (disk cache warm)", f"{s['data_load_s']:.3f}"],
                ["then load the first model (d=8)", f"{s['first_model_s']:.3f}"],
            ],
        )
        + "\n"
    )


def section_quality() -> str:
    from bench.core_bench import SHORT_SCHEDULES, quality_and_time_to_quality
    from bench.targets import BASELINE_MSE, TARGET_MSE

    q = quality_and_time_to_quality()
    rows = [
        [
            r["latent_dim"],
            f"{r['ours']:.6f}",
            f"{r['baseline']:.6f}",
            f"{r['pca']:.6f}",
            f"{r['ours'] / r['baseline']:.3f}",
            f"{TARGET_MSE[r['latent_dim']]:.5g}: " + ("yes" if r["ours"] <= TARGET_MSE[r["latent_dim"]] else "**no**"),
            "yes" if r["ours"] <= 0.6 * r["baseline"] else "**no**",
            "yes" if r["ours"] < r["pca"] else "**no**",
        ]
        for r in q["quality"]
    ]
    race = [
        [
            d,
            f"{r['baseline_mse']:.5f}",
            f"{r['baseline_s']:.0f}",
            label,
            f"epoch {o['epoch']}" if "epoch" in o else "not reached",
            f"{o.get('elapsed_s', float('nan')):.0f}",
            f"{o['ratio']:.2f}",
            "yes" if o["ratio"] <= 0.5 else "**no**",
        ]
        for d, r in q["race"].items()
        for label, o in (
            (f"shipped schedule ({r['shipped']['schedule_epochs']} epochs)", r["shipped"]),
            (f"short schedule ({r['short'].get('schedule_epochs')} epochs)", r["short"]),
        )
    ]
    return (
        "## Quality: ours vs the plain baseline vs PCA (10k test set)\n\n"
        + stamp()
        + "\n"
        + table(
            [
                "latent dims",
                "ours (shipped)",
                "baseline (10 epochs, now)",
                "PCA",
                "ours / baseline",
                "≤ the issue's target",
                "≤ 0.6× the baseline trained now",
                "beats PCA",
            ],
            rows,
        )
        + "\n\nThe issue's targets are its own figures: 0.6× the baseline as it measured it ("
        + ", ".join(f"d={d} {m:g}" for d, m in BASELINE_MSE.items())
        + "), or its rounded figure where that is lower. The baseline trained now, on this host's native kernels, "
        "lands a little elsewhere, so the column after it holds ours to 0.6× this run's baseline too."
        + "\n\n### Time to quality\n\nOur recipe, trained from scratch, against the baseline's 10-epoch test MSE "
        "(both trained in this run, one after the other). Two rows per size: the schedule the shipped checkpoints "
        "train with, stopped at its first epoch at or below the baseline's error; and the same recipe given a "
        f"shorter one-cycle schedule, the shortest of {', '.join(map(str, SHORT_SCHEDULES))} epochs whose run gets "
        "there (a one-cycle schedule anneals to its own length, so its epoch count is its time budget).\n\n"
        + table(
            [
                "latent dims",
                "baseline MSE",
                "baseline wall (s)",
                "ours: schedule",
                "ours: reached at",
                "ours: wall (s)",
                "ratio",
                "≤ 0.5",
            ],
            race,
        )
        + "\n"
    )


def section_dashboard() -> str:
    from bench.dashboard_bench import startup_ratio, tsne_comparison, view_times

    s = startup_ratio()
    v = view_times()
    t = tsne_comparison()
    views = [
        [
            k,
            f"{v['first'][k]:.2f}",
            f"{v['revisit'][k]:.2f}",
            "yes" if v["revisit"][k] <= 1 else "**no**",
            f"{v['reload'][k]:.2f}",
        ]
        for k in v["first"]
    ]
    return (
        "## Dashboard, in headless Chromium\n\n"
        + stamp()
        + "\n"
        + table(
            ["measure", "ours", "reference", "ratio", "target"],
            [
                [
                    "server start → home rendered (median of 5, s)",
                    f"{s['ours_s']:.2f}",
                    f"{s['hello_s']:.2f} (hello world)",
                    f"{s['ratio']:.2f}",
                    "≤ 1.5×",
                ],
                ["change level on Reconstructions (median of 9, s)", f"{v['level_change_s']:.2f}", "", "", "≤ 0.5 s"],
                [
                    "default t-SNE, 2 × 2,000 points (s)",
                    f"{t['ours_s']:.1f}",
                    f"{t['sklearn_s']:.1f} (sklearn TSNE())",
                    f"{t['ratio']:.2f}",
                    "≤ 0.5×",
                ],
                [
                    "overlap number (openTSNE vs sklearn)",
                    f"{t['ours_overlap']:.3f}",
                    f"{t['sklearn_overlap']:.3f}",
                    f"Δ {t['overlap_diff']:.3f}",
                    "Δ ≤ 0.05",
                ],
                ["default embedding again, from the disk cache (s)", f"{t['cached_s']:.2f}", "", "", "≤ 1 s"],
            ],
        )
        + "\n\n### Views (seconds until the page script finishes, medians over 3 fresh servers)\n\n"
        + table(["view", "first visit", "revisit (sidebar)", "revisit ≤ 1 s", "full browser reload"], views)
        + "\n\nFirst visits open the page's URL on a fresh server process with the disk caches warm (shipped "
        "checkpoints evaluated once before), so they include loading torch and the models. Revisits click the "
        "sidebar link in the same browser session, as a person switches pages (2 rounds per server). "
        "A full reload also reloads Streamlit's whole front end, so it is shown for comparison only.\n"
    )


def section_first_visit(repeats: int = 3) -> str:
    import os

    from bench.first_visit_bench import (
        NO_RECORDS_TIMEOUT_S,
        TARGET_S,
        cold_start_ratio,
        first_visits,
        records_bytes,
    )

    repeats = int(os.environ.get("AECL_BENCH_REPEATS", repeats))
    v = first_visits(repeats=repeats)
    c = cold_start_ratio(repeats=repeats)
    r = records_bytes()
    ways = ["shared link", "newcomer", "shared link, no records"]

    def cell(seconds: float, way: str) -> str:
        if seconds == float("inf"):
            return f"> {NO_RECORDS_TIMEOUT_S:.0f}"
        target = TARGET_S.get(way)
        return f"{seconds:.2f}" if target is None or seconds <= target else f"**{seconds:.2f}**"

    rows = [[page] + [cell(t[w], w) for w in ways] for page, t in v["rows"].items()]
    worst = {w: max(t[w] for t in v["rows"].values()) for w in ways}
    return (
        "## First visit on a fresh clone, in headless Chromium\n\n"
        + stamp()
        + "\n"
        + table(["page", "shared link (s)", "newcomer: home 10 s, then the sidebar (s)", "records hidden (s)"], rows)
        + f"\n\nEach cell: seconds until the page's script finished, median of {v['repeats']} (records hidden: of 1), "
        "each on its own freshly started server with an empty disk cache (what a fresh clone has). Targets: a shared "
        f"link ≤ {TARGET_S['shared link']:.0f} s, a newcomer's click ≤ {TARGET_S['newcomer']:.0f} s; bold misses it. "
        f"Slowest: shared link {worst['shared link']:.2f} s, newcomer {worst['newcomer']:.2f} s, records hidden "
        f"{worst['shared link, no records']:.2f} s (a shared link with an empty records folder). "
        f"Exceptions shown on any page: {v['exceptions']}.\n\n"
        f"Cold start (server start → home page, empty cache): {c['ours_s']:.2f} s against a hello world's "
        f"{c['hello_s']:.2f} s, ×{c['ours_s'] / c['hello_s']:.2f} (target ≤ 1.5×).\n\n"
        f"The shipped records: **{r['total'] / 1e6:.2f} MB** in {r['count']} files (aim ≤ 15 MB): "
        + ", ".join(f"{k} {b / 1e6:.2f}" for k, b in r["per_namespace"].items())
        + " MB.\n"
    )


def section_lesson() -> str:
    from bench.lesson_bench import lesson_steps

    r = lesson_steps()
    rows = [
        [
            key,
            f"{r['first_pass'][key]:.2f}",
            f"{r['warm_median'][key]:.2f}",
            "yes" if r["warm_median"][key] <= 2 else "**no**",
        ]
        for key in r["warm_median"]
    ]
    return (
        "## Lesson, stepped through in headless Chromium\n\n"
        + stamp()
        + "\n"
        + table(["step (after clicking Next)", "first pass, fresh server (s)", "warm, median (s)", "≤ 2 s"], rows)
        + f"\n\nSlowest warm step over {r['passes']} passes (normal and presenter mode alternating): "
        f"**{r['warm_max']:.2f} s** (target: no step over 2 s once caches are warm). No typing anywhere: "
        "only the Next button.\n"
    )


def section_reliability() -> str:
    from bench.load_bench import load_test
    from bench.reliability import reliability_runs

    runs = reliability_runs()
    load = load_test()
    out = ["## Reliability: load held, faults survived, bad inputs refused\n\n", stamp(), "\n"]
    out.append(
        table(
            [
                "sessions",
                "interactions",
                "errors",
                "median / interaction (s)",
                "95th pct (s)",
                "server's page runs: median / 95th pct (s)",
                "cores used: server / Chromium",
                "server peak memory (MiB)",
                "training session",
                "temp files left",
            ],
            [
                [
                    r["sessions"],
                    r["interactions"],
                    len(r["errors"]),
                    f"{r['median_s']:.2f}",
                    f"{r['p95_s']:.2f}",
                    f"{r['server_median_s']:.2f} / {r['server_p95_s']:.2f} ({r['server_runs']} runs)",
                    f"{r['cores_server']:.2f} / {r['cores_browser']:.2f}",
                    f"{r['peak_mib']:.0f}",
                    r["trained"] or "",
                    len(r["left_behind"]),
                ]
                for r in load
            ],
        )
    )
    errors = [e for r in load for e in r["errors"]]
    out.append(
        f"\n\nEach session walks the main pages by the sidebar, removes a level, uploads a digit and opens the "
        f"embedding, for {load[0]['seconds']:.0f} s or so, while one more session trains a d=12 model in the Model "
        "lab (cancelled if it outlives the run). All the browser pages run in one headless Chromium **on the same "
        "2 cores as the server**, so the times a page sees include drawing N pages, which a classroom's browsers "
        "do on their own machines; Chromium runs at a lower CPU priority (nice 10) so that the server answers "
        "first. The server's page runs are its own side, logged by the server (ui.timing): from a page script "
        "starting to its last element sent, waiting for the GIL and the cores included. The trainer's run is its "
        "own worker process (core.training.worker): its cores and memory are not the server's. "
        + (f"{len(errors)} errors, the first: " + "; ".join(errors[:4]) + "." if errors else "No errors.")
        + "\n\nMedian per interaction, by interaction: "
        + "; ".join(
            f"N={r['sessions']}: "
            + (", ".join(f"{k} {v:.1f} s" for k, v in r["median_by_interaction"].items()) or "none completed")
            for r in load
        )
        + "\n"
    )
    for kind, rows in runs.items():
        passed = sum(o == "passed" for _, o in rows)
        out.append(f"\n### {kind.capitalize()}: {passed} of {len(rows)} handled (test outcomes of this run)\n\n")
        out.append(table(["case (test)", "outcome"], [[name, outcome] for name, outcome in rows]))
        out.append("\n")
    return "".join(out)


def section_your_digit() -> str:
    from bench.digit_bench import in_browser, in_process

    p = in_process()
    b = in_browser()
    return (
        "## Your digit\n\n"
        + stamp()
        + "\n"
        + table(
            ["measure", "median", "target"],
            [
                ["prepare_digit (280×280 PNG), in process", f"{p['prepare_ms']:.1f} ms", ""],
                [
                    f"prepare_digit + reconstructions at all {p['levels']} levels, in process",
                    f"{p['total_ms']:.1f} ms",
                    "≤ 50 ms",
                ],
                [
                    f"mouse-up on a drawing → reconstructions on screen, Chromium ({b['n']} drawings)",
                    f"{b['draw_to_row_s']:.2f} s",
                    "≤ 0.5 s",
                ],
            ],
        )
        + f"\n\nBrowser times of each drawing (s): {b['all']}. In-process: medians of 50.\n"
    )


def section_ratedistortion() -> str:
    from bench.rd_bench import section

    return section()


def section_codec() -> str:
    from bench.codec_bench import section

    return section()


def section_compress() -> str:
    from bench.compress_bench import section

    return section()


def section_claims() -> str:
    from bench.claims_bench import section

    return section()


def section_mixing() -> str:
    from bench.mixing_bench import section

    return section()


def section_lab() -> str:
    from bench.lab_bench import section

    return section()


def section_seeds() -> str:
    from bench.seeds_bench import section

    return section()


def section_classroom() -> str:
    from bench.classroom_load import section

    return section()


SECTIONS = {
    "training": section_training,
    "inference": section_inference,
    "startup": section_startup,
    "quality": section_quality,
    "dashboard": section_dashboard,
    "first_visit": section_first_visit,
    "your_digit": section_your_digit,
    "lesson": section_lesson,
    "ratedistortion": section_ratedistortion,
    "compress": section_compress,
    "codec": section_codec,
    "claims": section_claims,
    "mixing": section_mixing,
    "lab": section_lab,
    "classroom": section_classroom,
    "seeds": section_seeds,
    "reliability": section_reliability,
}


def assemble() -> None:
    parts = [
        "# Benchmark results\n\nWritten by `make bench` (`python -m bench.run`). Every figure below was "
        "measured by the code in `bench/`; nothing is typed in by hand.\n"
    ]
    for name in ORDER:
        f = SECTIONS_DIR / f"{name}.md"
        if f.is_file():
            parts.append(f.read_text())
    RESULTS.write_text("\n".join(parts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=ORDER, action="append", help="run only these sections")
    args = parser.parse_args(argv)
    SECTIONS_DIR.mkdir(parents=True, exist_ok=True)
    for name in args.only or ORDER:
        print(f"[bench] {name}…", flush=True)
        (SECTIONS_DIR / f"{name}.md").write_text(SECTIONS[name]())
        assemble()
    print(f"[bench] wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
