"""Trend charts (matplotlib, headless) as PNG bytes for the PDF and the HTML page."""

import io

import matplotlib

matplotlib.use("Agg")  # no display on servers and workers

from matplotlib.figure import Figure  # noqa: E402 -- after choosing the backend

from .content import Chart


def render_chart_png(chart: Chart, *, dpi: int = 110) -> bytes:
    # A Figure (not pyplot) keeps no global state, so concurrent renders do not interfere.
    figure = Figure(figsize=(6.4, 2.8), dpi=dpi)
    axes = figure.subplots()
    for label, values in chart.series.items():
        if chart.kind == "bar":
            axes.bar(chart.x, values, label=label, color="#1f5f99")
        else:
            axes.plot(chart.x, values, marker="o", label=label, color="#1f5f99")
    axes.set_title(chart.title, fontsize=9)
    axes.set_xticks(chart.x)
    axes.tick_params(axis="x", labelrotation=45, labelsize=7)
    axes.tick_params(axis="y", labelsize=7)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
