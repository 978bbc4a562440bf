"""What an import says of the rows it left out: the file's own row errors and the rows whose
code already belongs to the other kind, in file order, the same from `kiosk import` and
`kiosk-server import`."""

from __future__ import annotations

from collections.abc import Sequence

from kiosk.core.import_plan import Clash, Kind
from kiosk.core.import_words import clash_expected, clash_owner
from kiosk.core.models import Copy, Reader
from kiosk.imports.errors import ImportResult, RowError

MAX_PRINTED_ERRORS = 200  # a wrong file (another school's export, a spreadsheet) fails every row


def rows_left_out(
    result: ImportResult[Reader] | ImportResult[Copy], clashes: Sequence[Clash], kind: Kind
) -> list[RowError]:
    """The file's row errors and one per clash, in the order of the file."""
    keys = [item.card if isinstance(item, Reader) else item.barcode for item in result.items]
    line_of = dict(zip(keys, result.lines, strict=True))
    clashing = [
        RowError(result.file, line_of[clash.key], result.key_column, clash_expected(kind),
                 clash.code, note=clash_owner(clash.owner))
        for clash in clashes
    ]  # fmt: skip
    return sorted([*result.errors, *clashing], key=lambda e: e.line)


def shown(path: object, errors: Sequence[RowError]) -> list[str]:
    """The lines to print for ``errors``: at most MAX_PRINTED_ERRORS, then how many more."""
    lines = [str(problem) for problem in errors[:MAX_PRINTED_ERRORS]]
    if len(errors) > MAX_PRINTED_ERRORS:
        lines.append(f"{path}: … and {len(errors) - MAX_PRINTED_ERRORS} more")
    return lines
