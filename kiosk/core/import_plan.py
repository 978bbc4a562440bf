"""What importing a roster or catalogue file would do, decided before anything is written.

One plan for both stores, the kiosk's (kiosk.store) and the server's (sync.server.school_data):
it gets the rows held now and the file's rows as values and says what would be added, changed
and made inactive, which codes of the file are codes already held but for the zeros Excel drops,
which clash with a code of the other kind (a card number that is a book's barcode), and why the
operator must confirm the import (``--force``, "import anyway"), as values: the words for them
are kiosk.core.import_words'.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from typing import TypeVar

from kiosk.core.import_guard import (
    MAX_INACTIVE_SHARE,
    MIN_INACTIVE_GUARDED,
    ImportMode,
    leading_zero_twins,
)

__all__ = [
    "Clash",
    "Held",
    "ImportMode",
    "ImportPlan",
    "Kind",
    "Owner",
    "Reason",
    "Twin",
    "plan_import",
]

V = TypeVar("V")  # a store's row, whatever it is: compared with == only


class Kind(enum.Enum):
    """What a file lists: readers (a roster) or copies (a catalogue)."""

    READERS = "readers"
    COPIES = "copies"


class Reason(enum.Enum):
    """Why an import waits until the operator confirms it."""

    LEADING_ZEROS_LOST = "leading_zeros_lost"  # Excel turned 0001003 into 1003
    MANY_MADE_INACTIVE = "many_made_inactive"  # one class's list imported as the school's


class Held(enum.Enum):
    """What a code of the file already is, for the other kind."""

    BARCODE = "barcode"  # a copy's barcode
    ISBN = "isbn"  # a copy's cover ISBN (a scan of it finds the book)
    CARD = "card"  # a reader's card number


@dataclass(frozen=True)
class Owner:
    """Who already holds a code: a copy (by its title) or a reader (by class, never by name:
    the roster is children's data and an import's output is read over shoulders)."""

    held_as: Held
    title: str = ""
    class_name: str | None = None


@dataclass(frozen=True)
class Clash:
    """A row of the file left out: one of its codes already belongs to the other kind."""

    key: str  # the row's card or barcode
    code: str  # the code that clashes (for a copy, its barcode or its ISBN)
    owner: Owner


@dataclass(frozen=True)
class Twin:
    """A code of the file equal to a code held but for its leading zeros."""

    in_file: str
    held: str


@dataclass(frozen=True)
class ImportPlan:
    """What an import would do; a store writes it only when ``reasons`` is empty or the
    operator confirmed. Keys keep the file's order (a store adds them in it); those made
    inactive are sorted."""

    kind: Kind
    added: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    made_inactive: tuple[str, ...]
    active_before: int  # readers or copies active before the import
    twins: tuple[Twin, ...]
    clashes: tuple[Clash, ...]
    reasons: tuple[Reason, ...]

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.reasons)

    @property
    def inactive_share(self) -> int:
        """Made inactive, in percent of those active before (rounded)."""
        if not self.active_before:
            return 0
        return round(100 * len(self.made_inactive) / self.active_before)


def plan_import(
    kind: Kind,
    current: Mapping[str, V],
    active: Set[str],
    incoming: Mapping[str, V],
    *,
    mode: ImportMode = ImportMode.REPLACE,
    complete: bool = True,
    scanned_as: Mapping[str, Sequence[str]] | None = None,
    other_kind: Mapping[str, Owner] | None = None,
) -> ImportPlan:
    """The plan of importing ``incoming`` (the file's rows by key) over ``current`` (every row
    held, by key; values compared with ``==``), of which ``active`` are active.

    ``complete`` is False when the file had rows rejected while it was read: one of them may be
    a child still at school, so nobody is made inactive (nor with a clash, nor in ADD_ONLY mode).
    ``scanned_as`` gives the codes a scan of each row would read (a copy: its barcode and ISBN;
    by default the key alone) and ``other_kind`` those of them the other kind already holds.
    """
    taken = other_kind or {}
    clashes = []
    for key in incoming:
        codes = scanned_as.get(key, (key,)) if scanned_as is not None else (key,)
        code = next((c for c in codes if c in taken), None)
        if code is not None:
            clashes.append(Clash(key, code, taken[code]))
    left_out = {c.key for c in clashes}
    rows = {k: v for k, v in incoming.items() if k not in left_out}
    added, changed, unchanged = [], [], []
    for key in rows:
        if key not in current:
            added.append(key)
        elif current[key] == rows[key]:
            unchanged.append(key)
        else:
            changed.append(key)
    replacing = mode is ImportMode.REPLACE and complete and not clashes
    made_inactive = sorted(k for k in active if k not in rows) if replacing else []
    twins = tuple(Twin(new, old) for new, old in leading_zero_twins(rows, current))
    reasons = []
    if twins:
        reasons.append(Reason.LEADING_ZEROS_LOST)
    many = len(made_inactive)
    if many >= MIN_INACTIVE_GUARDED and many > MAX_INACTIVE_SHARE * len(active):
        reasons.append(Reason.MANY_MADE_INACTIVE)
    return ImportPlan(
        kind,
        tuple(added),
        tuple(changed),
        tuple(unchanged),
        tuple(made_inactive),
        len(active),
        twins,
        tuple(clashes),
        tuple(reasons),
    )
