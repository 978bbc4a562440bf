"""MARC catalogue files (ISO 2709), MARC 21 and CNMARC, built here with pymarc itself."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest
from pymarc import Field, Indicators, RawField, Record, Subfield

from kiosk.core.models import Copy, LoanType
from kiosk.imports import MarcUnavailableError, parse_catalog, read_catalog

BLANK = Indicators(" ", " ")


def marc21(*fields: tuple[str, list[tuple[str, str]]]) -> bytes:
    data = [
        Field(tag, BLANK, [Subfield(code, value) for code, value in subs]) for tag, subs in fields
    ]
    return Record(fields=[Field("001", data="rec"), *data]).as_marc()


def raw_record(leader: str, *fields: tuple[str, list[tuple[str, bytes]]]) -> bytes:
    """A record whose text is written as the given bytes, whatever the leader says."""
    # pymarc types subfield values as str; RawField carries bytes on purpose.
    data: list[Field] = [
        RawField(tag, BLANK, [Subfield(c, v) for c, v in subs])  # type: ignore[arg-type]
        for tag, subs in fields
    ]
    return Record(to_unicode=False, leader=leader, fields=data).as_marc()


def cnmarc(encoding: str, *fields: tuple[str, list[tuple[str, str]]]) -> bytes:
    """A UNIMARC record as Chinese systems write it: text in ``encoding``, leader not saying so."""
    encoded = [(tag, [(c, v.encode(encoding)) for c, v in subs]) for tag, subs in fields]
    return raw_record("00000nam0 2200000   450 ", *encoded)


LITTLE_PRINCE = marc21(
    ("020", [("a", "9787532712342 (平装)"), ("c", "CNY12.00")]),
    ("084", [("a", "I565.88"), ("2", "clc")]),
    ("100", [("a", "圣埃克苏佩里,")]),
    ("245", [("a", "小王子 /"), ("c", "圣埃克苏佩里著.")]),
    ("952", [("p", "0001002"), ("y", "BK")]),
    ("952", [("p", "0001003"), ("y", "REF")]),
)
GRASS_HOUSE = cnmarc(
    "gb18030",
    ("010", [("a", "7-5007-2354-7"), ("d", "CNY25.00")]),
    ("200", [("a", "草房子"), ("f", "曹文轩著")]),
    ("690", [("a", "I287.45")]),
    ("701", [("a", "曹文轩")]),
    ("905", [("a", "YGXX"), ("b", "A0099")]),
)


def test_a_marc21_record_gives_one_copy_per_holdings_barcode() -> None:
    result = parse_catalog(LITTLE_PRINCE, "books.mrc")
    assert result.errors == ()
    first = Copy(
        barcode="0001002",
        title="小王子",
        isbn="9787532712342",
        author="圣埃克苏佩里",
        category="I565.88",
        price=Decimal("12.00"),
    )
    assert result.items == (
        first,
        Copy(**{**first.__dict__, "barcode": "0001003", "loan_type": LoanType.REFERENCE}),
    )


def test_a_chinese_cnmarc_record_in_gb18030() -> None:
    result = parse_catalog(GRASS_HOUSE, "books.iso")
    assert result.errors == ()
    assert result.items == (
        Copy(
            barcode="A0099",
            title="草房子",
            isbn="9787500723547",  # written as ISBN-10
            author="曹文轩",
            category="I287.45",
            price=Decimal("25.00"),
        ),
    )


def test_koha_unimarc_holdings_and_utf8_cnmarc() -> None:
    data = cnmarc(
        "utf-8",
        ("010", [("a", "978-7-02-000220-7")]),
        ("200", [("a", "红楼梦"), ("e", "少儿版")]),
        ("995", [("f", "B1"), ("r", "工具书")]),
        ("995", [("f", "B2")]),
    )
    result = parse_catalog(data, "koha.mrc")
    assert result.errors == ()
    assert [(c.barcode, c.title, c.loan_type) for c in result.items] == [
        ("B1", "红楼梦 : 少儿版", LoanType.REFERENCE),
        ("B2", "红楼梦 : 少儿版", LoanType.LOAN),
    ]


def test_records_without_holdings_are_isbn_only_copies_numbered_in_order() -> None:
    record = marc21(("020", [("a", "7-02-000220-X")]), ("245", [("a", "红楼梦")]))
    result = parse_catalog(record + record, "books.mrc")
    assert result.errors == ()
    assert [(c.barcode, c.isbn_only, c.label) for c in result.items] == [
        ("9787020002207#1", True, "9787020002207"),
        ("9787020002207#2", True, "9787020002207"),
    ]


def test_a_marc8_record_with_diacritics() -> None:
    record = raw_record(
        " " * 24,  # leader position 9 blank: MARC-8
        ("245", [("a", b"Jane Eyre /")]),
        ("100", [("a", b"Bront\xe8e, Charlotte.")]),  # MARC-8: the umlaut comes before its letter
        ("852", [("p", b"E1")]),
    )
    result = parse_catalog(record, "books.mrc")
    assert result.errors == ()
    assert (result.items[0].title, result.items[0].author) == ("Jane Eyre", "Brontë, Charlotte")


BROKEN = b"00050nam  22000xx   4500garbage\x1d"


@pytest.mark.parametrize(
    ("record", "error"),
    [
        (
            BROKEN,
            'b.mrc:record 2: record: expected a well-formed ISO 2709 record, found "00050nam  '
            '22000xx   4500garbage"',
        ),
        (
            b"hello world\x1d",
            "b.mrc:record 2: leader: expected a 24-character leader starting with the record "
            'length, found "hello world"',
        ),
        (
            LITTLE_PRINCE[:-40] + b"\x1d",
            'b.mrc:record 2: leader: expected a record as long as its leader says, found "'
            + LITTLE_PRINCE[:40].decode()
            + '…"',
        ),
        (
            marc21(("245", [("a", "无号")])),
            "b.mrc:record 2: 952$p: expected a copy barcode (952$p, 852$p, 876$p, 949$a) or an "
            "ISBN (020$a), found nothing",
        ),
        (
            marc21(("020", [("a", "9787532712343")]), ("245", [("a", "坏")])),
            "b.mrc:record 2: 020$a: expected an ISBN with a correct check digit, found "
            '"9787532712343"',
        ),
        (
            marc21(("100", [("a", "无题")]), ("952", [("p", "X1")])),
            "b.mrc:record 2: 245$a: expected a title, found nothing",
        ),
        (
            marc21(("245", [("a", "同号")]), ("952", [("p", "0001002")])),
            'b.mrc:record 2: 952$p: expected a barcode not already on record 1, found "0001002"',
        ),
        (
            cnmarc("utf-8", ("200", [("a", "空格")]), ("995", [("f", "B 1")])),
            "b.mrc:record 2: 995$f: expected a barcode without spaces or control characters, "
            'found "B 1"',
        ),
    ],
)
def test_a_bad_record_is_reported_and_the_others_imported(record: bytes, error: str) -> None:
    result = parse_catalog(LITTLE_PRINCE + record + GRASS_HOUSE, "b.mrc")
    assert len(result.errors) == 1
    assert str(result.errors[0]).startswith(error)
    assert {"0001002", "0001003", "A0099"} <= {copy.barcode for copy in result.items}


def test_a_file_cut_short_reports_its_last_record() -> None:
    result = parse_catalog(LITTLE_PRINCE + GRASS_HOUSE[:-30], "b.mrc")
    assert len(result.errors) == 1
    assert str(result.errors[0]).startswith(
        'b.mrc:record 2: record: expected a record ending with the record terminator (1D), found "0'
    )
    assert len(result.items) == 2


def test_marc_is_recognised_by_content_or_by_the_file_name(tmp_path: Path) -> None:
    (tmp_path / "export.dat").write_bytes(LITTLE_PRINCE)
    (tmp_path / "empty.marc").write_bytes(b"")
    assert len(read_catalog(tmp_path / "export.dat").items) == 2
    result = read_catalog(tmp_path / "empty.marc")
    assert [str(e) for e in result.errors] == [
        f"{tmp_path / 'empty.marc'}:record 1: file: expected MARC records, found nothing"
    ]


def test_without_pymarc_a_marc_file_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pymarc", None)  # import pymarc now fails
    with pytest.raises(MarcUnavailableError, match=r"school-library-kiosk\[marc\]"):
        parse_catalog(LITTLE_PRINCE, "books.mrc")
