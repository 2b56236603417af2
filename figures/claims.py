"""The claims page's figures: one per claim, each drawn from its `ClaimRecord`'s numbers only."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.levels import compression_pct
from figures.colors import AE_COLOR, DIGIT_COLORS, FAMILY_COLORS, ORIGINAL_COLOR, PCA_COLOR, RECONSTRUCTION_COLOR

HEIGHT = 320
#: Two study levels side by side: reconstructions are red, the harsher level the darker.
LEVEL_SHADES = ("#fc9272", RECONSTRUCTION_COLOR)
#: Colours of the denoising experiment's four images: clean (an original), noisy, and the two outputs.
FEATURE_COLORS = {"clean": ORIGINAL_COLOR, "noisy": "#bcbd22", "plain": PCA_COLOR, "denoise": AE_COLOR}


def _layout(fig: go.Figure, **kw) -> go.Figure:
    fig.update_layout(height=HEIGHT, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.2), **kw)
    return fig


def _error_bars(interval) -> dict:
    est, low, high = interval
    return dict(type="data", array=[high - est], arrayminus=[est - low])


def adaptability_bars(numbers: dict) -> go.Figure:
    """Mean error on the digits seen in training (0–4) and never seen (5–9), for the four models."""
    names = {"ae_04": "AE, 0–4 only", "ae_all": "AE, all digits", "pca_04": "PCA, 0–4 only", "pca_all": "PCA, all"}
    colors = {"ae_04": AE_COLOR, "ae_all": "#fcbba1", "pca_04": PCA_COLOR, "pca_all": "#d9d9d9"}
    fig = go.Figure()
    for key, label in names.items():
        m = numbers["mean_mse"][key]
        fig.add_bar(
            name=label,
            x=["digits 0–4 (seen)", "digits 5–9 (never seen)"],
            y=[m["seen"], m["unseen"]],
            marker_color=colors[key],
        )
    return _layout(fig, barmode="group", yaxis_title="mean test MSE", title="Trained on 0–4 vs on every digit (d=16)")


def feature_bars(numbers: dict) -> go.Figure:
    """Error to the clean digit and the classifier's accuracy, for the noisy input and each model's output."""
    fig = make_subplots(1, 2, subplot_titles=("error to the clean digit", "classifier reads the right digit"))
    labels = {
        "clean": "clean digit",
        "noisy": "noisy input",
        "plain": "plain AE output",
        "denoise": "denoising AE output",
    }
    for key in ("noisy", "plain", "denoise"):
        fig.add_bar(
            x=[labels[key]],
            y=[numbers["mse_to_clean"][key]],
            marker_color=FEATURE_COLORS[key],
            showlegend=False,
            row=1,
            col=1,
        )
    for key in ("clean", "noisy", "plain", "denoise"):
        fig.add_bar(
            x=[labels[key]],
            y=[100 * numbers["accuracy"][key]],
            marker_color=FEATURE_COLORS[key],
            showlegend=False,
            row=1,
            col=2,
        )
    fig.update_yaxes(title_text="MSE", row=1, col=1)
    fig.update_yaxes(title_text="%", range=[0, 100], row=1, col=2)
    return _layout(fig)


def operating_points(numbers: dict) -> go.Figure:
    """Each method's operating points along the error axis: how densely a user can pick a quality."""
    fig = go.Figure()
    for name, m in numbers["methods"].items():
        mse = np.array([p[1] for p in m["curve"]])
        color = FAMILY_COLORS.get(name, FAMILY_COLORS["AE codec"] if "codec" in name else AE_COLOR)
        fig.add_scatter(
            x=mse,
            y=[name] * len(mse),
            mode="markers",
            name=name,
            showlegend=False,
            marker=dict(symbol="line-ns-open", size=18, color=color),
            hovertext=[f"{name} setting {p[0]:g}: MSE {p[1]:.2g}" for p in m["curve"]],
            hoverinfo="text",
        )
    fig.update_xaxes(type="log", title="mean test MSE (log)")
    return _layout(fig, title="One tick per distinct operating point")


def ae_vs_pca(numbers: dict) -> go.Figure:
    """Test MSE of the auto-encoder and PCA against the latent size (log-log)."""
    rows = sorted(numbers["levels"], key=lambda r: r["latent_dim"])
    d = [r["latent_dim"] for r in rows]
    fig = go.Figure()
    fig.add_scatter(x=d, y=[r["ae_mse"] for r in rows], name="auto-encoder", mode="lines+markers", line_color=AE_COLOR)
    fig.add_scatter(x=d, y=[r["pca_mse"] for r in rows], name="PCA", mode="lines+markers", line_color=PCA_COLOR)
    fig.update_xaxes(type="log", title="latent dims (log)")
    fig.update_yaxes(type="log", title="test MSE (log)")
    return _layout(fig)


def timing_lines(numbers: dict) -> go.Figure:
    """Seconds against number of digits, log-log: encoding and t-SNE, every timed run."""
    fig = go.Figure()
    styles = {
        ("encode", "cpu"): ("encode, CPU", AE_COLOR),
        ("encode", "cuda"): ("encode, GPU", "#67000d"),
        ("tsne", "cpu"): ("t-SNE (openTSNE), CPU", ORIGINAL_COLOR),
    }
    for (method, device), (label, color) in styles.items():
        rows = [r for r in numbers["rows"] if r["method"] == method and r["device"] == device]
        if rows:
            fig.add_scatter(
                x=[r["n"] for r in rows], y=[r["seconds"] for r in rows], mode="markers", name=label, marker_color=color
            )
    n = np.array([1, 60000.0])
    fig.add_scatter(
        x=n,
        y=n * numbers["per_digit_ms"]["encode"] / 1000,
        mode="lines",
        name="linear (slope 1)",
        line=dict(color=AE_COLOR, dash="dot"),
    )
    fig.update_xaxes(type="log", title="digits (log)")
    fig.update_yaxes(type="log", title="seconds (log)")
    return _layout(fig)


def level_name(latent_dim: int) -> str:
    return f"{compression_pct(latent_dim):.0f} % (d={latent_dim})"


def per_digit_intervals(rows_by_level: dict[str, list[dict]], highlight: dict[str, int], ytitle: str) -> go.Figure:
    """Mean per digit with its 95 % interval, one trace per level; the claimed digit outlined."""
    fig = go.Figure()
    for i, (level, rows) in enumerate(rows_by_level.items()):
        claimed = [r["digit"] == highlight.get(level) for r in rows]
        fig.add_bar(
            name=level_name(int(level)),
            x=[str(r["digit"]) for r in rows],
            y=[r["mean"] for r in rows],
            error_y=dict(
                type="data",
                array=[r["ci_high"] - r["mean"] for r in rows],
                arrayminus=[r["mean"] - r["ci_low"] for r in rows],
            ),
            marker_color=LEVEL_SHADES[i % len(LEVEL_SHADES)],
            marker_line=dict(color=["#000000" if c else "rgba(0,0,0,0)" for c in claimed], width=3),
        )
    fig.update_xaxes(title="digit", type="category")
    return _layout(fig, barmode="group", yaxis_title=ytitle)


def reading_shares(numbers: dict) -> go.Figure:
    """What the classifier reads a 99 % reconstruction of each named digit as (its share of each reading)."""
    fig = go.Figure()
    for true, info in numbers.items():
        fig.add_bar(
            name=f"a {true}, misread as",
            x=[str(k) for k in range(10)],
            y=[0.0 if k == int(true) else 100 * s for k, s in enumerate(info["shares"])],
            marker_color=DIGIT_COLORS[int(true)],
        )
    fig.update_xaxes(title="read as", type="category")
    return _layout(fig, barmode="group", yaxis_title="% of those digits (wrong readings)")


def overlap_bars(numbers: dict) -> go.Figure:
    """Partner-free overlap per digit with its interval; 50 % is a perfect mix."""
    per = numbers["per_digit"]
    digits = sorted(per, key=int)
    fig = go.Figure()
    fig.add_bar(
        x=digits,
        y=[100 * per[k][0] for k in digits],
        marker_color=[DIGIT_COLORS[int(k)] for k in digits],
        error_y=dict(
            type="data",
            array=[100 * (per[k][2] - per[k][0]) for k in digits],
            arrayminus=[100 * (per[k][0] - per[k][1]) for k in digits],
        ),
        showlegend=False,
    )
    fig.add_hline(y=50, line_dash="dot", annotation_text="perfect mix")
    fig.update_xaxes(title="digit", type="category")
    low = min(100 * per[k][1] for k in digits)
    high = max(max(100 * per[k][2] for k in digits), 50.0)
    return _layout(fig, yaxis_title="overlap without partner (%)", yaxis_range=[low - 2, high + 2])


def divergence_curve_figure(rows: list[dict]) -> go.Figure:
    """The two-sample accuracy against compression, with its interval band: 50 % means indistinguishable."""
    rows = sorted(rows, key=lambda r: r["compression_pct"])
    x = [r["compression_pct"] for r in rows]
    fig = go.Figure()
    fig.add_scatter(
        x=x + x[::-1],
        y=[100 * r["two_sample_high"] for r in rows] + [100 * r["two_sample_low"] for r in rows][::-1],
        fill="toself",
        mode="lines",
        line_width=0,
        fillcolor="rgba(214,39,40,0.2)",
        showlegend=False,
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=x,
        y=[100 * r["two_sample_accuracy"] for r in rows],
        mode="lines+markers",
        name="originals told from reconstructions",
        line_color=AE_COLOR,
        text=[f"d={r['latent_dim']}" for r in rows],
    )
    fig.add_hline(y=50, line_dash="dot", annotation_text="chance: can't tell them apart")
    fig.update_xaxes(title="compression (%)")
    return _layout(fig, yaxis_title="held-out accuracy (%)", yaxis_range=[40, 100])
