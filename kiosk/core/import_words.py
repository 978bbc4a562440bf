"""The words for an import plan's refusals and clashes, one English sentence per key.

`kiosk import` and `kiosk-server import` print them as they are; the server's pages show them
through their own catalogue (sync/server/web/locale/zh_CN/LC_MESSAGES/web.po, whose message ids
are these sentences), so a refusal reads the same at a kiosk, on the server's command line and,
in Chinese or English, on the librarian's pages.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from kiosk.core.import_guard import EXAMPLES, MAX_INACTIVE_SHARE
from kiosk.core.import_plan import Held, ImportPlan, Kind, Owner, Reason

Translate = Callable[[str], str]


class Place(enum.Enum):
    """Where the rows already held are: named in the leading-zeros refusal."""

    KIOSK = "kiosk"
    SERVER = "server"


WORDS: dict[str, str] = {
    Reason.LEADING_ZEROS_LOST.value: (
        "{count} code(s) in the file equal codes already on the {place} but for their leading "
        "zeros ({examples}): Excel drops the leading zeros of numbers. Format the column as text "
        "in Excel and save the file again"
    ),
    "twin": "{in_file} in the file is {held} on the {place}",
    "twins_and_more": "{examples} and {count} more",
    "separator": ", ",
    Reason.MANY_MADE_INACTIVE.value: (
        "the file would make {count} of {active} {what} inactive ({share}%, more than "
        "{limit}%): is it the whole list?"
    ),
    Kind.READERS.value: "readers",
    Kind.COPIES.value: "copies",
    Place.KIOSK.value: "kiosk",
    Place.SERVER.value: "server",
    # A clash is a row error: what the column should have held, and who holds the code.
    "clash.readers": "a card number that is not a book's barcode or ISBN",
    "clash.copies": "a barcode and ISBN that are not a reader's card number",
    "owner.barcode": "already the barcode of 《{title}》 in the catalogue",
    "owner.isbn": "already the ISBN of 《{title}》 in the catalogue",
    "owner.card": "already the card of a reader on the roster",
    "owner.card_in_class": "already the card of a reader in class {class_name} on the roster",
}

# The command line's own: the pages offer the same as buttons ("add only", "import anyway").
COMMAND_LINE: dict[str, str] = {
    Reason.MANY_MADE_INACTIVE.value: "Import a partial list with --add-only",
    "refused": "nothing was imported; if the file is right, import it with --force",
}


def _english(message: str) -> str:
    return message


def refusal(plan: ImportPlan, reason: Reason, place: Place, t: Translate = _english) -> str:
    """Why ``plan`` waits for a confirmation, as ``t`` says it (English by default)."""
    if reason is Reason.LEADING_ZEROS_LOST:
        where = t(WORDS[place.value])
        shown = t(WORDS["separator"]).join(
            t(WORDS["twin"]).format(in_file=twin.in_file, held=twin.held, place=where)
            for twin in plan.twins[:EXAMPLES]
        )
        if len(plan.twins) > EXAMPLES:
            shown = t(WORDS["twins_and_more"]).format(
                examples=shown, count=len(plan.twins) - EXAMPLES
            )
        return t(WORDS[reason.value]).format(count=len(plan.twins), examples=shown, place=where)
    return t(WORDS[reason.value]).format(
        count=len(plan.made_inactive),
        active=plan.active_before,
        what=t(WORDS[plan.kind.value]),
        share=plan.inactive_share,
        limit=round(100 * MAX_INACTIVE_SHARE),
    )


def command_line_refusal(plan: ImportPlan, place: Place) -> list[str]:
    """The lines `kiosk import` and `kiosk-server import` print when they refuse ``plan``."""
    lines = []
    for reason in plan.reasons:
        remedy = COMMAND_LINE.get(reason.value)
        said = refusal(plan, reason, place)
        lines.append(f"{said} {remedy}" if remedy else said)
    return [*lines, COMMAND_LINE["refused"]]


def clash_expected(kind: Kind, t: Translate = _english) -> str:
    """What a row's code should have been: a row error's "expected"."""
    return t(WORDS[f"clash.{kind.value}"])


def clash_owner(owner: Owner, t: Translate = _english) -> str:
    """Who holds the code already (a book by its title, a reader by class, never by name)."""
    if owner.held_as is Held.CARD:
        if owner.class_name:
            return t(WORDS["owner.card_in_class"]).format(class_name=owner.class_name)
        return t(WORDS["owner.card"])
    return t(WORDS[f"owner.{owner.held_as.value}"]).format(title=owner.title)
