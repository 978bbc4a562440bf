"""Code 128 barcodes as inline SVG for the printed sheets; the only importer of python-barcode.

The encoding (code sets, the checksum, the quiet zone) is the library's: nothing here draws a
bar. What this module decides is the size: bars in millimetres, as thin as the printed box
needs but never thinner than a scanner on a school desk reads reliably.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from barcode import Code128
from barcode.errors import BarcodeError
from barcode.writer import SVGWriter
from markupsafe import Markup

# A bar of 0.33 mm reads at arm's length with any USB scanner; below 0.19 mm (a module under two
# dots of a 300 dpi office printer) cheap scanners and phone cameras start to miss.
WIDEST_MODULE_MM = 0.33
NARROWEST_MODULE_MM = 0.19
QUIET_ZONE_MODULES = 10  # what ISO/IEC 15417 asks on each side of a Code 128 symbol

# The library's document preamble and its comment are dropped: the SVG goes inside the page.
_PREAMBLE = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_GROUP_ID = ' id="barcode_group"'  # the same id on every barcode of a sheet would clash


class NotPrintableError(ValueError):
    """A code Code 128 cannot carry (outside ASCII), or too long for the space it is given."""


@dataclass(frozen=True)
class Barcode:
    code: str
    svg: Markup  # an <svg> sized in millimetres
    width_mm: float


def code128(code: str, *, box_width_mm: float, height_mm: float) -> Barcode:
    """``code`` as a Code 128 symbol at most ``box_width_mm`` wide (quiet zones included)."""
    try:
        symbol = Code128(code, writer=SVGWriter())
        modules = len(symbol.build()[0])
    except (BarcodeError, ValueError, KeyError) as e:
        raise NotPrintableError(code) from e
    module = min(WIDEST_MODULE_MM, box_width_mm / (modules + 2 * QUIET_ZONE_MODULES))
    if module < NARROWEST_MODULE_MM:
        raise NotPrintableError(code)
    module = round(module, 3)
    svg = symbol.render(
        {
            "module_width": module,
            "module_height": height_mm,
            "quiet_zone": QUIET_ZONE_MODULES * module,
            "write_text": False,  # the sheet prints the code in its own font, beneath
            "margin_top": 0,
            "margin_bottom": 0,
        }
    ).decode("utf-8")
    svg = _COMMENT.sub("", _PREAMBLE.sub("", svg, count=1)).replace(_GROUP_ID, "")
    svg = svg.replace("<svg ", '<svg class="barcode" role="img" ', 1)
    # Markup: the library's bars and sizes only; the code itself is not in the SVG (write_text
    # is off and the sheet prints it as escaped text).
    width = (modules + 2 * QUIET_ZONE_MODULES) * module
    return Barcode(code, Markup(svg), width)  # noqa: S704
