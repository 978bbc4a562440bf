"""The things a school library is made of, as frozen values the rules reason about."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


class ReaderRole(enum.StrEnum):
    """A reader's place in the school: what the rules and the roster's role column know them as."""

    STUDENT = "student"
    TEACHER = "teacher"


class LoanType(enum.StrEnum):
    LOAN = "loan"  # 外借: may leave the room
    REFERENCE = "reference"  # 阅览/工具书: read in the room, never lent


@dataclass(frozen=True, order=True)
class ClassName:
    """A class such as 三年级(2)班, kept in its canonical short form ``3-2``."""

    grade: int
    number: int

    def __str__(self) -> str:
        return f"{self.grade}-{self.number}"


@dataclass(frozen=True)
class Reader:
    """Someone with a library card (读者).

    Only what the door needs: card, given name, class (children's data).
    """

    card: str
    given_name: str
    role: ReaderRole
    class_name: ClassName | None = None
    grade: int | None = None
    active: bool = True

    @property
    def effective_grade(self) -> int | None:
        """The grade the rules use: as given, else the class's."""
        if self.grade is not None:
            return self.grade
        return self.class_name.grade if self.class_name is not None else None


@dataclass(frozen=True)
class Copy:
    """One physical copy. ``barcode`` is its identity: the accession barcode, or for a library
    that never labelled its copies ``<ISBN>#<n>`` (``isbn_only``), the n-th copy of that ISBN."""

    barcode: str
    title: str
    isbn: str | None = None
    author: str = ""
    category: str = ""
    loan_type: LoanType = LoanType.LOAN
    price: Decimal | None = None
    active: bool = True
    isbn_only: bool = False

    @property
    def label(self) -> str:
        """What is printed on the copy and what Koha knows it by."""
        return self.isbn if self.isbn_only and self.isbn else self.barcode


@dataclass(frozen=True)
class Loan:
    """A copy out on loan: the projection of its checkout event and the renewals since."""

    barcode: str
    card: str
    borrowed_at: datetime  # aware, UTC
    due: date  # a local date in the library's timezone (the last renewal's, if renewed)
    event_seq: int
    renewals: int = 0  # times this loan was renewed (续借)

    def is_overdue(self, today: date) -> bool:
        return self.due < today
