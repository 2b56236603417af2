"""Figures as PNG files for slides, made on the server without a browser.

Plotly's own static export (kaleido ≥ 1, which plotly 7 requires) drives a Chrome that it
would download, and the lab must work offline on a machine with no browser. So this
module draws the same plotly figure again with matplotlib (the Agg backend: no display),
reading the figure's data and layout; only the trace types our charts use are supported
(scatter/scattergl lines, markers and text; bars with error bars; heatmaps), so every
chart of `figures.study` exports without a line of chart-specific code.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable

import numpy as np
import plotly.graph_objects as go
from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure

_TAGS = re.compile(r"<[^>]+>")


def _plain(text: str | None) -> str:
    return _TAGS.sub("", (text or "").replace("<br>", "\n"))


def _array(values) -> np.ndarray:
    return np.asarray(values if values is not None else [], dtype=object)


def _color(value, fallback: str = "#444444"):
    return value if isinstance(value, str) else fallback


def _colormap(scale) -> LinearSegmentedColormap | str:
    """Plotly's colour scale, stop for stop, as a matplotlib colour map."""
    if not scale:
        return "viridis"
    stops = []
    for pos, color in scale:
        if color.startswith("rgb"):
            rgb = tuple(float(c) / 255 for c in re.findall(r"[\d.]+", color)[:3])
        else:
            rgb = to_rgb(color)
        stops.append((float(pos), rgb))
    return LinearSegmentedColormap.from_list("plotly", stops)


def _heatmap(ax, trace) -> None:
    z = np.asarray(trace.z, dtype=float)
    ax.imshow(
        z,
        cmap=_colormap(trace.colorscale),
        vmin=trace.zmin,
        vmax=trace.zmax,
        interpolation="nearest",
        origin="upper",
        extent=(-0.5, z.shape[1] - 0.5, z.shape[0] - 0.5, -0.5),
        aspect="equal",
    )


def _scatter(ax, trace) -> None:
    x, y = _array(trace.x).astype(float), _array(trace.y).astype(float)
    mode = trace.mode or "lines+markers"
    color = _color(trace.line.color if trace.line else None, _color(trace.marker.color if trace.marker else None))
    label = trace.name if trace.showlegend is not False and trace.name else None
    if "lines" in mode:
        ax.plot(x, y, color=color, linestyle="--" if trace.line.dash == "dash" else "-", label=label)
        label = None
    if "markers" in mode and (trace.marker.opacity is None or np.any(np.asarray(trace.marker.opacity) > 0)):
        size = trace.marker.size if isinstance(trace.marker.size, int | float) else 6
        colors = trace.marker.color if not isinstance(trace.marker.color, str) else None
        ax.scatter(
            x,
            y,
            s=(size * 0.9) ** 2,
            c=colors if colors is not None else color,
            alpha=trace.marker.opacity if isinstance(trace.marker.opacity, int | float) else 1.0,
            label=label,
            linewidths=0,
        )
    if "text" in mode and trace.text is not None:
        size = (trace.textfont.size or 10) * 0.8 if trace.textfont else 8
        for xi, yi, t in zip(x, y, trace.text, strict=False):
            ax.text(xi, yi, _plain(str(t)), ha="center", va="center", fontsize=size)


def _bars(ax, traces: list) -> list[str]:
    width = 0.8 / len(traces)
    categories = list(dict.fromkeys(str(c) for t in traces for c in t.x))
    for i, t in enumerate(traces):
        pos = np.array([categories.index(str(c)) for c in t.x]) + (i - (len(traces) - 1) / 2) * width
        y = np.asarray(t.y, dtype=float)
        base = np.asarray(t.base, dtype=float) if t.base is not None else 0
        err = None
        if t.error_y and t.error_y.array is not None:
            err = [np.asarray(t.error_y.arrayminus, float), np.asarray(t.error_y.array, float)]
        colors = t.marker.color if t.marker is not None else None
        ax.bar(pos, y, width=width, bottom=base, color=colors, yerr=err, capsize=3, label=t.name)
        if t.text is not None and t.textposition == "outside":
            for p, top, txt in zip(pos, np.asarray(base) + y, t.text, strict=False):
                ax.text(p, top, _plain(str(txt)), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(categories)), categories, rotation=0 if len(categories) <= 10 else 45)
    return categories


def _axis(ax, layout_axis, which: str) -> None:
    title = _plain(layout_axis.title.text) if layout_axis.title else ""
    getattr(ax, f"set_{which}label")(title)
    if layout_axis.type == "log":
        getattr(ax, f"set_{which}scale")("log")
    if layout_axis.tickvals is not None and layout_axis.ticktext is not None:
        getattr(ax, f"set_{which}ticks")(list(layout_axis.tickvals), [_plain(t) for t in layout_axis.ticktext])
    if layout_axis.visible is False:
        getattr(ax, f"get_{which}axis")().set_visible(False)
    if layout_axis.range is not None and which == "y":
        ax.set_ylim(*layout_axis.range)


def figure_png(fig: go.Figure, width_in: float = 12.0, dpi: int = 150) -> bytes:
    """The figure as PNG bytes (16:9-ish unless the figure asks for a height)."""
    layout = fig.layout
    height_in = (layout.height / 100) if layout.height else width_in * 9 / 16
    out = Figure(figsize=(width_in, max(height_in, 3.0)), dpi=dpi, layout="constrained")
    ax = out.add_subplot()
    bars = [t for t in fig.data if t.type == "bar"]
    categories = _bars(ax, bars) if bars else []
    for trace in fig.data:
        if trace.type == "heatmap":
            _heatmap(ax, trace)
        elif trace.type in ("scatter", "scattergl"):
            _scatter(ax, trace)
    _axis(ax, layout.xaxis, "x")
    _axis(ax, layout.yaxis, "y")
    for shape in layout.shapes or ():
        if shape.type == "line" and shape.x0 == shape.x1:
            ax.axvline(shape.x0, color=_color(shape.line.color), linestyle=":")
        elif shape.type == "line" and shape.y0 == shape.y1:
            ax.axhline(shape.y0, color=_color(shape.line.color), linestyle="--")
    for note in layout.annotations or ():
        x = categories.index(note.x) if isinstance(note.x, str) and note.x in categories else note.x
        if layout.xaxis.type == "log" and note.xref != "paper" and isinstance(x, int | float):
            x = 10**x  # plotly places annotations on a log axis by log10; matplotlib by value
        if note.yref == "paper" and note.xref != "paper":  # a label on a vertical line (the knee)
            ax.annotate(_plain(note.text), (x, 0.97), xycoords=ax.get_xaxis_transform(), ha="right", fontsize=11)
        elif note.xref == "paper" and note.yref != "paper":  # a label on a horizontal line
            ax.annotate(_plain(note.text), (0.99, note.y), xycoords=ax.get_yaxis_transform(), ha="right", va="bottom")
        elif note.xref != "paper":
            ax.annotate(_plain(note.text), (x, note.y), ha="center", fontsize=12)
    ax.set_title(_plain(layout.title.text), loc="left", fontsize=13)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=9)
    buf = io.BytesIO()
    out.savefig(buf, format="png")
    return buf.getvalue()


def figures_zip(files: Iterable[tuple[str, bytes | str]]) -> bytes:
    """A zip of (name, content) pairs, built in memory for a download button."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, content in files:
            zf.writestr(name, content)
    return buf.getvalue()
