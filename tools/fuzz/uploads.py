"""Files a librarian might upload, and worse: rosters, catalogues and policies as CSV, Excel
workbooks and MARC, broken in the ways files from other systems are broken, plus junk."""

from __future__ import annotations

import io
import random
import zipfile

from tools.fuzz.texts import SAMPLE, SchoolCodes, hostile

ROSTER_HEADER = "card,name,class,grade,role"
CATALOG_HEADER = "barcode,isbn,title,author,category,loan,price"
MB = 1024 * 1024


def _cell(rng: random.Random, codes: SchoolCodes) -> str:
    roll = rng.random()
    if roll < 0.5:
        return hostile(rng, codes)[1][:500]
    return rng.choice(
        ["", " ", "=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)", "\t", '"', '""', "x" * 41,
         "y" * 401, "1e9", "-1", "NaN", "三年级(1)班", "9-99", "0", "99", "teacher", "reference"]
    )  # fmt: skip


def _csv_quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\r\n') else text


def _rows(rng: random.Random, codes: SchoolCodes, header: str, good: list[str]) -> str:
    lines = [
        header if rng.random() < 0.9 else rng.choice(["", "a,b", header.upper(), header + ",extra"])
    ]
    for _ in range(rng.choice([0, 1, 3, 10, 200])):
        if rng.random() < 0.5:
            cells = rng.choice(good).split(",")
            cells[rng.randrange(len(cells))] = _csv_quote(_cell(rng, codes))
            lines.append(",".join(cells))
        else:
            lines.append(",".join(_csv_quote(_cell(rng, codes)) for _ in header.split(",")))
    return rng.choice(["\n", "\r\n", "\r"]).join(lines)


def _encode(rng: random.Random, text: str) -> bytes:
    how = rng.randrange(5)
    if how == 0:
        return text.encode("gbk", "replace")
    if how == 1:
        return b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass")
    if how == 2:
        return text.encode("utf-16", "surrogatepass")
    return text.encode("utf-8", "surrogatepass")


def _workbook(rng: random.Random, codes: SchoolCodes, header: str) -> bytes:
    from openpyxl import Workbook  # only for this: a real .xlsx, as Excel saves one

    book = Workbook()
    sheet = book.active
    sheet.append(header.split(","))
    out = io.BytesIO()
    try:
        for _ in range(rng.randint(0, 20)):
            sheet.append([_cell(rng, codes) for _ in header.split(",")])
        book.save(out)
    except Exception:  # openpyxl refuses characters a cell cannot hold: a broken workbook then
        return b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(200))
    data = out.getvalue()
    return data[: rng.randrange(len(data))] if rng.random() < 0.3 else data


def _zip_junk(rng: random.Random) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<x>" * 1000)
        z.writestr("xl/workbook.xml", b"\x00" * rng.choice([10, 1000]))
        z.writestr("zeros.bin", b"0" * 5 * MB)  # 5 MB that deflate to a few KB
    return out.getvalue()


def _marc(rng: random.Random, codes: SchoolCodes) -> bytes:
    """ISO 2709 records, some almost right: lengths that lie, fields cut short, no terminators."""
    records = []
    for _ in range(rng.randint(1, 5)):
        title = _cell(rng, codes).encode("utf-8", "replace")
        field_245 = b"10\x1fa" + title + b"\x1e"
        field_001 = str(rng.randrange(10**7)).encode() + b"\x1e"
        directory = b"001" + b"%04d" % len(field_001) + b"00000"
        directory += b"245" + b"%04d" % len(field_245) + b"%05d" % len(field_001) + b"\x1e"
        base = 24 + len(directory)
        length = base + len(field_001) + len(field_245) + 1
        if rng.random() < 0.4:
            length = rng.choice([0, 5, 99999, length + 7])
        leader = b"%05d" % (length % 100000) + b"nam a22" + b"%05d" % base + b"   4500"
        record = leader + directory + field_001 + field_245 + b"\x1d"
        if rng.random() < 0.3:
            record = record[: rng.randrange(len(record))]
        records.append(record)
    return b"".join(records)


def upload(rng: random.Random, codes: SchoolCodes, kind: str) -> tuple[str, bytes, str, str]:
    """(filename, data, content type, what it is) for a roster or catalogue upload."""
    header = ROSTER_HEADER if kind == "roster" else CATALOG_HEADER
    good_file = SAMPLE / ("roster.csv" if kind == "roster" else "catalog.csv")
    good = good_file.read_text(encoding="utf-8").splitlines()[1:]
    name = rng.choice(
        [f"{kind}.csv", "名单.csv", "../../etc/passwd", "", "a" * 500, "x.csv\x00.exe", "c.CSV"]
    )
    roll = rng.randrange(10)
    if roll < 4:
        return (
            name,
            _encode(rng, _rows(rng, codes, header, good)),
            "text/csv",
            "CSV with hostile cells",
        )
    if roll == 4:
        return (
            f"{kind}.xlsx",
            _workbook(rng, codes, header),
            "application/vnd.ms-excel",
            "a workbook",
        )
    if roll == 5:
        return f"{kind}.xlsx", _zip_junk(rng), "application/zip", "a zip that is no workbook"
    if roll == 6:
        return "catalog.mrc", _marc(rng, codes), "application/marc", "MARC records, some broken"
    if roll == 7:
        data = bytes(rng.randrange(256) for _ in range(rng.choice([1, 100, 5000])))
        return name, data, "application/octet-stream", "random bytes"
    if roll == 8:
        size = rng.choice([MB // 2, 2 * MB, 2 * MB, 21 * MB])  # the limit is 20 MB
        line = header + "\n" + rng.choice(good) + "," + "z" * size
        return name, line.encode(), "text/csv", f"a line of {size / MB:g} MB"
    return name, (header + "\n" + "\n".join(good)).encode(), "text/csv", "the sample file itself"


def policy(rng: random.Random, codes: SchoolCodes) -> tuple[str, str]:
    """(a policy file, what is wrong with it): the sample's, with one value made hostile."""
    text = (SAMPLE / "policy.toml").read_text(encoding="utf-8")
    edits = [
        ("start = 2026-09-01", "start = 0001-01-01"),
        ("end = 2027-01-22", "end = 9999-12-31"),
        ('timezone = "Asia/Shanghai"', 'timezone = "Mars/Phobos"'),
        ('timezone = "Asia/Shanghai"', 'timezone = "../../etc/localtime"'),
        ("days = 14", "days = 1000000000"),
        ("days = 14", "days = -1"),
        ("teacher = 10", "teacher = 99999999999999999999"),
        ("idle_seconds = 20", "idle_seconds = 1e308"),
        ("idle_seconds = 20", "idle_seconds = nan"),
        ('start = "12:10"', 'start = "25:61"'),
        ('classes = ["3-1", "3-2", "4-1"]', 'classes = ["' + "9-9" * 1000 + '"]'),
        ("books_per_term = 10", "books_per_term = -5"),
        ('name = "2026年秋季学期"', 'name = "' + "学" * 5000 + '"'),
        ("[library]", "[library]\n[library.x]\n" + "[a]\n" * 200),
        ("[session]", "x = " + "[" * 500 + "]" * 500 + "\n[session]"),
        ("closed = [", "closed = [0001-01-01, 9999-12-31, "),
    ]
    roll = rng.random()
    if roll < 0.7:
        old, new = rng.choice(edits)
        shown = new if len(new) <= 60 else f"{new[:40]}… ({len(new)} characters)"
        return text.replace(old, new, 1), f"the sample's with {old!r} made {shown!r}"
    if roll < 0.8:
        junk = hostile(rng, codes)[1]
        return text + "\n" + junk, f"the sample's and a last line {junk[:60]!r}"
    if roll < 0.9:
        cut = rng.randrange(len(text))
        return text[:cut], f"the sample's cut after {cut} characters"
    other = rng.choice(["", "\x00", "a = 1", "sample*60", "[[windows]]\n * 5000"])
    made = {"sample*60": text * 60, "[[windows]]\n * 5000": "[[windows]]\n" * 5000}
    return made.get(other, other), f"{other!r}"
