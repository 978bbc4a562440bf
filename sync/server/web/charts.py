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
    label_font_size=15,
    major_label_font_size=15,
    legend_font_size=15,
    value_font_size=15,
    title_font_size=17,
)


def _whole_numbers(top: int) -> list[int]:
    """Axis labels for counts of books: whole numbers, about five of them."""
    step = max(1, -(-top // 5))
    return list(range(0, top + step + 1, step)) if top else [0, 1]


def _svg(chart: pygal.graph.graph.Graph) -> str:
    # No pygal.js tooltips (they load from the internet); the numbers are printed on the bars.
    return str(chart.render(is_unicode=True))


def bars(title: str, labels: Sequence[str], series: str, values: Sequence[int]) -> str:
    """One horizontal bar per label (a class), its value printed at its end. Drawn narrow, so
    that once scaled to a phone's width (or to the A4 poster) the letters are still readable."""
    chart = pygal.HorizontalBar(
        js=[],
        disable_xml_declaration=True,
        style=_STYLE,
        width=520,
        height=70 + 30 * max(1, len(labels)),
        show_legend=False,
        print_values=True,
        print_values_position="top",
        print_zeroes=False,
        y_labels=_whole_numbers(max(values, default=0)),
        title=title,
        margin=12,
        spacing=6,
        explicit_size=False,
        truncate_label=-1,
    )
    # pygal draws the first label at the bottom; a list reads from the top.
    chart.x_labels = list(reversed(labels))
    chart.add(series, list(reversed(values)))
    return _svg(chart)


def lines(title: str, labels: Sequence[str], series: dict[str, Sequence[int]]) -> str:
    """One line per series (a grade) over the labels (the weeks)."""
    top = max((max(v, default=0) for v in series.values()), default=0)
    chart = pygal.Line(
        y_labels=_whole_numbers(top),
        js=[],
        disable_xml_declaration=True,
        style=_STYLE,
        width=600,
        height=340,
        title=title,
        show_legend=len(series) > 1,  # one line needs no key (and pygal would cut it off)
        legend_at_bottom=True,
        legend_at_bottom_columns=3,
        margin=16,
        margin_right=44,  # room for the last week's label, centred on the last point
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
