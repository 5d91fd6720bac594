"""Charts as vector graphics: matplotlib (Agg backend) drawn to SVG, handed to the PDF as data
URIs. Text is drawn as paths (``svg.fonttype = path``), so the PDF needs no font for it and
device names in a legend stay text that cannot break out of the picture.
"""

from __future__ import annotations

import base64
import io
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

NS = 1_000_000_000
FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans"]
Rows = list[tuple[int, float | None]]


class ChartTimer:
    """Seconds (and CPU seconds of the process) spent drawing charts, for the benchmark's split."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0


def _svg_uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _style() -> None:
    matplotlib.rcParams.update(
        {"font.family": "sans-serif", "font.sans-serif": FONTS, "svg.fonttype": "path", "font.size": 8,
         "text.parse_math": False, "axes.spines.top": False, "axes.spines.right": False}
    )


def lines_chart(
    panels: list[tuple[str, dict[str, Rows]]], timezone: str, accent: str, timer: ChartTimer | None = None,
    y_max: float | None = 100.0,
) -> str:
    """One row of panels, each with one line per series; returns an SVG data URI."""
    started, cpu_started = time.perf_counter(), time.process_time()
    _style()
    zone = ZoneInfo(timezone)
    figure, axes = plt.subplots(len(panels), 1, figsize=(7.0, 2.2 * len(panels)), squeeze=False)
    for ax, (title, series) in zip(axes[:, 0], panels, strict=True):
        for index, (label, rows) in enumerate(sorted(series.items())):
            points = [(datetime.fromtimestamp(t / NS, tz=zone), v) for t, v in rows if v is not None]
            if not points:
                continue
            xs, ys = zip(*points, strict=True)
            # a leading underscore would hide the line from the legend
            ax.plot(xs, ys, linewidth=1.0, label=label.lstrip("_") or "-", color=accent if index == 0 else None)
        ax.set_title(title, loc="left", fontsize=9)
        if y_max is not None:
            ax.set_ylim(0, y_max)
        ax.grid(True, linewidth=0.3, alpha=0.6)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d", tz=zone))
        if series:
            ax.legend(fontsize=6, loc="upper left", ncols=3, frameon=False)
    figure.tight_layout()
    uri = _svg_uri(figure)
    if timer is not None:
        timer.seconds += time.perf_counter() - started
        timer.cpu_seconds += time.process_time() - cpu_started
    return uri
