"""Charts as SVG drawn on the server by pygal, the only importer of it: no script, nothing from
outside the server, the same picture on screen, on a phone and on paper."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import pygal
from pygal.style import Style

# pygal puts a finder for its map plugins on sys.meta_path that only has the old find_module(),
# so Python warns (ImportWarning) at every later import that fails, e.g. openpyxl looking for
# numpy. The pages draw no maps: take it off again.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

FONT = "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
_STYLE = Style(
    font_family=FONT,
    background="white",
    plot_background="white",
    foreground="#333",
    foreground_strong="#111",
    foreground_subtle="#ccc",
    colors=("#2e7d32", "#1565c0", "#ef6c00", "#6a1b9a", "#c62828", "#00838f"),
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    value_font_size=12,
    title_font_size=16,
)


def _svg(chart: pygal.graph.graph.Graph) -> str:
    # No pygal.js tooltips (they load from the internet); the numbers are printed on the bars.
    return str(chart.render(is_unicode=True))


def bars(title: str, labels: Sequence[str], series: str, values: Sequence[int]) -> str:
    """One bar per label (a class), its value printed on it."""
    chart = pygal.Bar(
        js=[],
        disable_xml_declaration=True,
        style=_STYLE,
        width=900,
        height=380,
        show_legend=False,
        print_values=True,
        title=title,
        x_label_rotation=0,
        margin=16,
        explicit_size=False,
        truncate_label=-1,
    )
    chart.x_labels = list(labels)
    chart.add(series, list(values))
    return _svg(chart)


def lines(title: str, labels: Sequence[str], series: dict[str, Sequence[int]]) -> str:
    """One line per series (a grade) over the labels (the weeks)."""
    chart = pygal.Line(
        js=[],
        disable_xml_declaration=True,
        style=_STYLE,
        width=900,
        height=380,
        title=title,
        legend_at_bottom=True,
        legend_at_bottom_columns=6,
        margin=16,
        explicit_size=False,
        show_minor_x_labels=len(labels) <= 12,
        dots_size=3,
        truncate_label=-1,
    )
    chart.x_labels = list(labels)
    chart.x_labels_major = list(labels)[::4]
    for name, values in series.items():
        chart.add(name, list(values))
    return _svg(chart)
