"""The import plan both stores apply (kiosk.core.import_plan), as tables: what a file would add,
change and make inactive, which rows clash, and why the operator is asked to confirm; and the
words of each refusal (kiosk.core.import_words), which the kiosk, the server's command line and
the server's pages share."""

from __future__ import annotations

import pytest

from kiosk.core import import_words
from kiosk.core.import_plan import (
    Clash,
    Held,
    ImportMode,
    ImportPlan,
    Kind,
    Owner,
    Reason,
    Twin,
    plan_import,
)
from kiosk.core.import_words import Place, clash_expected, clash_owner, command_line_refusal

SCHOOL = {f"C{n:02d}": ("pupil", 1) for n in range(40)}  # 40 active readers, by card


def _plan(
    incoming: dict[str, tuple[str, int]],
    *,
    current: dict[str, tuple[str, int]] | None = None,
    mode: ImportMode = ImportMode.REPLACE,
    complete: bool = True,
    other_kind: dict[str, Owner] | None = None,
    kind: Kind = Kind.READERS,
) -> ImportPlan:
    held = SCHOOL if current is None else current
    active = {k for k, v in held.items() if v[1]}
    return plan_import(
        kind, held, active, incoming, mode=mode, complete=complete, other_kind=other_kind
    )


def _without(*cards: str) -> dict[str, tuple[str, int]]:
    return {k: v for k, v in SCHOOL.items() if k not in cards}


def _first(n: int) -> dict[str, tuple[str, int]]:
    return dict(list(SCHOOL.items())[:n])


@pytest.mark.parametrize(
    ("case", "incoming", "mode", "complete", "expected"),
    [
        # (added, changed, unchanged, made inactive, reasons)
        ("the same file again", SCHOOL, ImportMode.REPLACE, True, (0, 0, 40, 0, ())),
        (
            "a newcomer and a renamed pupil",
            {**SCHOOL, "C99": ("new", 1), "C00": ("renamed", 1)},
            ImportMode.REPLACE,
            True,
            (1, 1, 39, 0, ()),
        ),
        ("a quarter leave: not asked", _first(30), ImportMode.REPLACE, True, (0, 0, 30, 10, ())),
        (
            "more than a quarter leave",
            _first(29),
            ImportMode.REPLACE,
            True,
            (0, 0, 29, 11, (Reason.MANY_MADE_INACTIVE,)),
        ),
        (
            "one class's list as the school's",
            _first(1),
            ImportMode.REPLACE,
            True,
            (0, 0, 1, 39, (Reason.MANY_MADE_INACTIVE,)),
        ),
        ("one class's list, add only", _first(1), ImportMode.ADD_ONLY, True, (0, 0, 1, 0, ())),
        ("a file with rejected rows", _first(1), ImportMode.REPLACE, False, (0, 0, 1, 0, ())),
        ("two leave", _without("C03", "C07"), ImportMode.REPLACE, True, (0, 0, 38, 2, ())),
    ],
)
def test_what_a_file_would_do(
    case: str,
    incoming: dict[str, tuple[str, int]],
    mode: ImportMode,
    complete: bool,
    expected: tuple[int, int, int, int, tuple[Reason, ...]],
) -> None:
    plan = _plan(incoming, mode=mode, complete=complete)
    found = (
        len(plan.added),
        len(plan.changed),
        len(plan.unchanged),
        len(plan.made_inactive),
        plan.reasons,
    )
    assert found == expected, case
    assert plan.needs_confirmation is bool(expected[4])


def test_only_the_active_are_counted_and_made_inactive() -> None:
    held = {**SCHOOL, **{f"OLD{n}": ("left", 0) for n in range(100)}}  # last year's leavers
    plan = _plan(_first(29), current=held)
    assert plan.active_before == 40 and len(plan.made_inactive) == 11
    assert not any(k.startswith("OLD") for k in plan.made_inactive)
    assert plan.inactive_share == 28


@pytest.mark.parametrize(
    ("active_before", "made_inactive", "asked"),
    [
        (40, 10, False),
        (40, 11, True),
        (600, 100, False),
        (10, 9, False),
        (10, 10, True),
        (1000, 250, False),
        (1000, 251, True),
    ],
)
def test_the_bounds_are_the_kiosks(active_before: int, made_inactive: int, asked: bool) -> None:
    held = {f"C{n:04d}": ("pupil", 1) for n in range(active_before)}
    staying = dict(list(held.items())[made_inactive:])
    plan = _plan(staying, current=held)
    assert (Reason.MANY_MADE_INACTIVE in plan.reasons) is asked


@pytest.mark.parametrize(
    ("incoming", "held", "twins"),
    [
        (["1001", "1002"], ["0001001", "0001002"],
         [Twin("1001", "0001001"), Twin("1002", "0001002")]),
        (["0001001"], ["0001001"], []),  # the same code
        (["ABC1"], ["0ABC1"], []),  # not a number: Excel keeps it as text
        (["0", "00"], ["000"], [Twin("0", "000"), Twin("00", "000")]),
    ],
)  # fmt: skip
def test_codes_that_lost_their_leading_zeros(
    incoming: list[str], held: list[str], twins: list[Twin]
) -> None:
    plan = _plan(
        dict.fromkeys(incoming, ("book", 1)),
        current=dict.fromkeys(held, ("book", 1)),
        mode=ImportMode.ADD_ONLY,  # add only still refuses them: they would be new copies
        kind=Kind.COPIES,
    )
    assert list(plan.twins) == twins
    assert (Reason.LEADING_ZEROS_LOST in plan.reasons) is bool(twins)


def test_a_clash_leaves_its_row_out_and_makes_nobody_inactive() -> None:
    book = Owner(Held.BARCODE, title="夏洛的网")
    plan = _plan({**_first(1), "0001003": ("wrong", 1)}, other_kind={"0001003": book})
    assert plan.clashes == (Clash("0001003", "0001003", book),)
    assert plan.added == () and plan.made_inactive == () and plan.reasons == ()


def test_a_copy_clashes_by_its_barcode_first_then_its_isbn() -> None:
    reader = Owner(Held.CARD, class_name="3-1")
    rows = {"B1": ("a", 1), "B2": ("b", 1), "B3": ("c", 1)}
    plan = plan_import(
        Kind.COPIES,
        {},
        set(),
        rows,
        scanned_as={"B1": ("B1", "9787020002207"), "B2": ("B2", "C7"), "B3": ("B3",)},
        other_kind={"B1": reader, "9787020002207": reader, "C7": reader},
    )
    assert [(c.key, c.code) for c in plan.clashes] == [("B1", "B1"), ("B2", "C7")]
    assert plan.added == ("B3",)


def test_the_kiosks_words_name_the_codes_the_share_and_what_to_do() -> None:
    held = [f"000100{n}" for n in range(1, 7)]
    incoming = [f"100{n}" for n in range(1, 6)]
    plan = _plan(
        dict.fromkeys(incoming, ("book", 1)),
        current=dict.fromkeys(held, ("book", 1)),
        mode=ImportMode.ADD_ONLY,
        kind=Kind.COPIES,
    )
    assert command_line_refusal(plan, Place.KIOSK)[0].startswith(
        "5 code(s) in the file equal codes already on the kiosk but for their leading zeros "
        "(1001 in the file is 0001001 on the kiosk, 1002 in the file is 0001002 on the kiosk, "
        "1003 in the file is 0001003 on the kiosk and 2 more): Excel drops"
    )
    many = _plan(_first(29), kind=Kind.COPIES)
    assert command_line_refusal(many, Place.KIOSK) == [
        "the file would make 11 of 40 copies inactive (28%, more than 25%): is it the whole "
        "list? Import a partial list with --add-only",
        "nothing was imported; if the file is right, import it with --force",
    ]


def test_the_server_names_itself_where_the_kiosk_names_the_kiosk() -> None:
    plan = _plan({"1001": ("book", 1)}, current={"0001001": ("book", 1)}, kind=Kind.COPIES)
    said = import_words.refusal(plan, Reason.LEADING_ZEROS_LOST, Place.SERVER)
    assert said.startswith(
        "1 code(s) in the file equal codes already on the server but for their leading zeros "
        "(1001 in the file is 0001001 on the server): Excel drops"
    )


def test_a_translation_changes_every_word_and_no_value() -> None:
    plan = _plan(_first(1))
    said = import_words.refusal(plan, Reason.MANY_MADE_INACTIVE, Place.SERVER, "«{}»".format)
    assert said == (
        "«the file would make 39 of 40 «readers» inactive (98%, more than 25%): is it the whole "
        "list?»"
    )


@pytest.mark.parametrize(
    ("owner", "said"),
    [
        (Owner(Held.BARCODE, title="夏洛的网"),
         "already the barcode of 《夏洛的网》 in the catalogue"),
        (Owner(Held.ISBN, title="小王子"), "already the ISBN of 《小王子》 in the catalogue"),
        (Owner(Held.CARD, class_name="3-1"),
         "already the card of a reader in class 3-1 on the roster"),
        (Owner(Held.CARD), "already the card of a reader on the roster"),
        (Owner(Held.BARCODE, title="{0} {place}"),  # a title is a value, never a template
         "already the barcode of 《{0} {place}》 in the catalogue"),
    ],
)  # fmt: skip
def test_who_holds_a_clashing_code(owner: Owner, said: str) -> None:
    assert clash_owner(owner) == said


def test_what_a_clashing_row_should_have_been() -> None:
    assert clash_expected(Kind.READERS) == "a card number that is not a book's barcode or ISBN"
    assert clash_expected(Kind.COPIES) == "a barcode and ISBN that are not a reader's card number"
