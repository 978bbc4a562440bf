"""The pages' roster and catalogue uploads guard the school as `kiosk import` guards a kiosk, in
the kiosk's words: a file re-saved in Excel (its codes without their leading zeros) and a list
that would make most of the school inactive are refused, nothing written and nothing for kiosks
to pull, with "import anyway" (强制导入) for that very file and "add only" (只添加). On SQLite and
PostgreSQL; each refusal is compared with what door-1's own `kiosk import` says of the file."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from kiosk.cli import main as kiosk_main
from kiosk.core import import_words
from sync.server.revisions import latest
from sync.server.tables import copies, readers
from sync.server.web import library
from tests.conftest import SAMPLE
from tests.web.conftest import Site

Capture = pytest.CaptureFixture[str]
REMEDY = " " + import_words.COMMAND_LINE["many_made_inactive"]  # the pages have a button instead


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((SAMPLE / name).read_text(encoding="utf-8-sig"))))


def _upload(
    site: Site, s: requests.Session, kind: str, data: bytes, token: str, **fields: str
) -> requests.Response:
    page = "/catalogue" if kind == "catalog" else "/readers"
    return site.post(
        s,
        f"{page}/upload",
        data={"form_token": token, **fields},
        files={"file": (f"{kind}.csv", data, "text/csv")},
    )


def _token(site: Site, s: requests.Session, kind: str) -> str:
    return site.form_token(s, "/catalogue" if kind == "catalog" else "/readers")


def _confirm_form(answer: requests.Response) -> tuple[str, str]:
    """The "import anyway" form's token and the digest it posts back."""
    form = answer.text[answer.text.index('id="confirm"') :]
    token = re.search(r'name="form_token" value="([^"]+)"', form)
    digest = re.search(r'name="confirm" value="([0-9a-f]{64})"', form)
    assert token is not None and digest is not None
    return token.group(1), digest.group(1)


def _reasons(answer: requests.Response) -> list[str]:
    """The refusal's reasons as the page lists them."""
    box = answer.text[answer.text.index('class="problems"') :]
    box = box[: box.index("</ul>")]
    return [html.unescape(r) for r in re.findall(r"<li>(.*?)</li>", box, re.S)]


def _kiosk_says(capsys: Capture, kiosk_db: Path, tmp_path: Path, kind: str, data: bytes,
                *flags: str) -> list[str]:  # fmt: skip
    """What door-1's `kiosk import` says of ``data`` (its lines, in the server's place)."""
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(data)
    status = kiosk_main(["import", kind, str(path), "--db", str(kiosk_db), *flags])
    _, err = capsys.readouterr()
    lines = [line.removeprefix(f"kiosk: {path}: ") for line in err.splitlines()]
    return [line.replace("on the kiosk", "on the server") for line in lines if status == 1]


def _state(site: Site) -> tuple[object, ...]:
    with site.engine.connect() as conn:
        return (
            sorted(conn.execute(select(readers.c.card, readers.c.active, readers.c.revision))),
            sorted(conn.execute(select(copies.c.barcode, copies.c.active, copies.c.revision))),
            latest(conn),
        )


def _active(site: Site, table: object = readers) -> int:
    with site.engine.connect() as conn:
        if table is readers:
            return len(conn.execute(select(readers.c.card).where(readers.c.active)).all())
        return len(conn.execute(select(copies.c.barcode).where(copies.c.active)).all())


def _english(site: Site) -> requests.Session:
    s = site.sign_in()
    s.cookies.set("library_lang", "en")
    return s


def test_a_catalogue_that_lost_its_leading_zeros_is_refused_until_confirmed(
    site: Site, capsys: Capture, tmp_path: Path
) -> None:
    rows = _rows("catalog.csv")
    for row in rows:  # what Excel does to 0001003 when the column is a number
        row["barcode"] = str(int(row["barcode"]))
    resaved = _csv(rows)
    before = _state(site)
    s = _english(site)
    answer = _upload(site, s, "catalog", resaved, _token(site, s, "catalog"))
    assert answer.status_code == 409, answer.text
    said = _reasons(answer)
    kiosk = _kiosk_says(capsys, site.kiosk_db, tmp_path, "catalog", resaved)
    assert [line.removesuffix(REMEDY) for line in kiosk[:-1]] == said  # the kiosk's very words
    assert said[0].startswith(
        "29 code(s) in the file equal codes already on the server but for their leading zeros "
        "(1001 in the file is 0001001 on the server, 1002 in the file is 0001002 on the server"
    )
    assert said[1].startswith("the file would make 29 of ")
    assert "Import anyway" in answer.text
    assert _state(site) == before  # nothing added, nothing made inactive, nothing to pull

    s = site.sign_in()  # in Chinese, the librarian's language
    answer = _upload(site, s, "catalog", resaved, _token(site, s, "catalog"))
    assert answer.status_code == 409
    (zeros, many) = _reasons(answer)
    assert zeros.startswith(
        "文件中有 29 个号码与服务器上已有的号码只差开头的 0（文件中的 1001 在服务器上是 0001001；"
    )
    assert "；另有 26 个）：Excel 会去掉数字开头的 0。" in zeros
    assert many.startswith("导入这个文件会停用 29 册图书（有效的共 ")
    assert "强制导入" in answer.text and "只添加" in answer.text
    token, digest = _confirm_form(answer)
    assert digest == library.file_digest(resaved)

    # "Import anyway" confirms this file only: another one chosen in its place is checked.
    other = _csv([{**rows[0], "barcode": "1"}, *rows[1:]])
    answer = _upload(site, s, "catalog", other, token, confirm=digest, choice="force")
    assert answer.status_code == 409 and _state(site) == before
    token, _ = _confirm_form(answer)
    answer = _upload(site, s, "catalog", resaved, token, confirm=digest, choice="force")
    assert answer.status_code == 200, answer.text
    assert "新增 29" in answer.text
    with site.engine.connect() as conn:
        added = conn.execute(select(copies.c.active).where(copies.c.barcode == "1001"))
        assert added.scalar_one() is True


def test_a_roster_that_lost_its_leading_zeros_is_refused_in_the_kiosks_words(
    site: Site, capsys: Capture, tmp_path: Path
) -> None:
    rows = _rows("roster.csv")
    newcomers = [{**rows[0], "card": f"0077{n:04d}", "name": f"李{n}"} for n in range(12)]
    s = _english(site)
    added = _upload(site, s, "roster", _csv(newcomers), _token(site, s, "roster"), add_only="yes")
    assert added.status_code == 200, added.text
    assert "12 added" in added.text and "0 no longer listed" in added.text  # add only
    _kiosk_says(capsys, site.kiosk_db, tmp_path, "roster", _csv(newcomers), "--add-only")
    stripped = [{**r, "card": str(int(r["card"]))} for r in newcomers]
    resaved = _csv([*rows, *stripped])  # the school's list, re-saved in Excel
    before = _state(site)
    answer = _upload(site, s, "roster", resaved, _token(site, s, "roster"))
    assert answer.status_code == 409, answer.text
    said = _reasons(answer)
    assert said == _kiosk_says(capsys, site.kiosk_db, tmp_path, "roster", resaved)[:-1]
    assert said == [
        "12 code(s) in the file equal codes already on the server but for their leading zeros "
        "(770000 in the file is 00770000 on the server, 770001 in the file is 00770001 on the "
        "server, 770002 in the file is 00770002 on the server and 9 more): Excel drops the "
        "leading zeros of numbers. Format the column as text in Excel and save the file again"
    ]
    assert "Add only" not in answer.text  # add only would still add the twelve again
    assert _state(site) == before


def test_a_list_that_would_make_most_of_the_school_inactive_is_refused(
    site: Site, capsys: Capture, tmp_path: Path
) -> None:
    rows = _rows("roster.csv")
    one_class = _csv([r for r in rows if r["class"] == "3-1"])
    listed = sum(r["class"] == "3-1" for r in rows)
    before, active = _state(site), _active(site)
    s = _english(site)
    answer = _upload(site, s, "roster", one_class, _token(site, s, "roster"))
    assert answer.status_code == 409, answer.text
    said = _reasons(answer)
    kiosk = _kiosk_says(capsys, site.kiosk_db, tmp_path, "roster", one_class)
    assert [line.removesuffix(REMEDY) for line in kiosk[:-1]] == said
    gone = active - listed
    assert said == [
        f"the file would make {gone} of {active} readers inactive ({round(100 * gone / active)}%, "
        "more than 25%): is it the whole list?"
    ]
    assert _state(site) == before

    s = site.sign_in()
    answer = _upload(site, s, "roster", one_class, _token(site, s, "roster"))
    assert _reasons(answer)[0].startswith(f"导入这个文件会停用 {gone} 名读者（有效的共 {active} 名")
    token, digest = _confirm_form(answer)
    answer = _upload(site, s, "roster", one_class, token, confirm=digest, choice="add_only")
    assert answer.status_code == 200, answer.text
    assert _active(site) == active  # "add only": nobody made inactive

    token = _token(site, s, "roster")
    answer = _upload(site, s, "roster", one_class, token)
    token, digest = _confirm_form(answer)
    answer = _upload(site, s, "roster", one_class, token, confirm=digest, choice="force")
    assert answer.status_code == 200, answer.text
    assert _active(site) == listed  # the librarian said it is the whole list


def test_a_card_number_that_is_a_books_barcode_is_a_rejected_row(site: Site) -> None:
    rows = _rows("roster.csv")
    s = site.sign_in()
    clash = _csv([*rows, {**rows[0], "card": "0001003", "name": "赵错号"}])
    answer = _upload(site, s, "roster", clash, _token(site, s, "roster"))
    assert answer.status_code == 422
    table = html.unescape(answer.text[answer.text.index('id="row-errors"') :])
    assert (
        f'<td class="num">{len(rows) + 2}</td><td>card</td><td>不是图书条码或 ISBN 的借书证号'
        '（这已是馆藏中《夏洛的网》的条码）</td><td>"0001003"</td>'
    ) in table
    with site.engine.connect() as conn:
        found = conn.execute(select(readers.c.card).where(readers.c.card == "0001003")).all()
    assert found == []


def test_the_pages_say_every_word_of_the_plan() -> None:
    """The pages' catalogue holds the plan's sentences (library.PLAN_WORDS marks them for it)."""
    assert set(library.PLAN_WORDS) == set(import_words.WORDS.values())
