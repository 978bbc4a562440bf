"""Which physical copy a scanned code means, including libraries whose copies carry only an ISBN."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core.decisions import Reason
from kiosk.core.isbn import isbn13
from kiosk.core.library import Library
from kiosk.core.models import Copy, Loan, LoanType, Reader, ReaderRole


@dataclass(frozen=True)
class Resolved:
    copy: Copy
    loan: Loan | None  # who has it now, by the records


def _copy_number(copy: Copy) -> tuple[int, str]:
    _, _, number = copy.barcode.rpartition("#")
    return (int(number) if number.isdigit() else 0, copy.barcode)


def resolve_book(
    library: Library, code: str, *, borrower: Reader | None, recent_card: str | None = None
) -> Resolved | Reason:
    """The copy in the child's hand.

    ``borrower`` is the reader of the open session (a borrow), or None (a return). An accession
    barcode names its copy. An ISBN names one of the copies that carry only that ISBN:

    - borrowing: the borrower's own copy (a child holding theirs is not taking a second one),
      else a free one, else the one lent longest ago (it must be that one in hand). A teacher
      taking a class set gets free copies first.
    - returning: the copy on loan to ``recent_card`` (the reader who was just at the kiosk),
      else the oldest loan of it.
    """
    copy = library.copy(code)
    if copy is not None:
        return Resolved(copy, library.loan(copy.barcode))
    isbn = isbn13(code)
    if isbn is None:
        return Reason.UNKNOWN_COPY
    all_copies = library.copies_with_isbn(isbn)
    if not all_copies:
        return Reason.UNKNOWN_COPY
    copies = sorted((c for c in all_copies if c.isbn_only), key=_copy_number)
    if not copies:
        # The library labelled these copies: the cover ISBN does not say which one this is.
        return Reason.USE_LIBRARY_BARCODE
    loans = {c.barcode: library.loan(c.barcode) for c in copies}
    card = borrower.card if borrower is not None else recent_card
    own = [Resolved(c, loan) for c in copies if (loan := loans[c.barcode]) and loan.card == card]
    free = [
        Resolved(c, None)
        for c in copies
        if borrower is not None
        and c.active
        and c.loan_type is LoanType.LOAN
        and loans[c.barcode] is None
    ]
    lent_longest = sorted(
        ((loan, c) for c in copies if (loan := loans[c.barcode]) is not None),
        key=lambda pair: (not pair[1].active, pair[0].borrowed_at, pair[0].event_seq),
    )
    lent = [Resolved(c, loan) for loan, c in lent_longest]
    if borrower is not None and borrower.role is ReaderRole.TEACHER:
        order = [*free, *own, *lent]
    else:
        order = [*own, *free, *lent]
    return order[0] if order else Resolved(copies[0], None)
