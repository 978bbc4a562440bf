"""What the pages say and do, over real HTTP, on SQLite and PostgreSQL: the numbers against the
database they come from, the exports, and what each form changes for the kiosks."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from sync.protocol import PROTOCOL_VERSION, PullRequest
from sync.server import feed
from sync.server.tables import copies, copy_marks, events, loans, readers, review_items
from tests.conftest import SAMPLE as REPO_SAMPLE
from tests.conftest import local
from tests.web.conftest import DAMAGED_BOOK, NOW, Site

TODAY = NOW.date()


def _pull(site: Site) -> object:
    return feed.pull(
        site.engine,
        "door-1",
        PullRequest(protocol=PROTOCOL_VERSION, kiosk_id="door-1", cursor=None),
    )


def _overdue_in_db(site: Site) -> set[tuple[str, str]]:
    with site.engine.connect() as conn:
        rows = conn.execute(
            select(loans.c.card, loans.c.barcode).where(
                loans.c.on_loan.is_(True), loans.c.due < TODAY.isoformat()
            )
        ).all()
    return {(r.card, r.barcode) for r in rows}


def test_today_counts_each_kiosks_events_of_the_day_and_flags_a_silent_one(site: Site) -> None:
    s = site.sign_in()
    page = site.get(s, "/").text
    with site.engine.connect() as conn:
        loans_today = conn.execute(
            select(func.count()).where(
                events.c.type == "checkout",
                events.c.kiosk == "door-1",
                events.c.effective_time >= local("2026-11-23 00:00"),
            )
        ).scalar_one()
    assert loans_today > 0
    door1 = page[page.index('data-kiosk="door-1"') :]
    door1 = door1[: door1.index("</section>")]
    assert re.search(rf"借出</th><td class=\"num\">{loans_today}<", door1)
    assert "联系正常" in door1  # synced at NOW
    door2 = page[page.index('data-kiosk="door-2"') :]
    assert 'class="card silent"' in page and "失去联系" in door2[: door2.index("</section>")]
    site.clock.advance(31 * 60)
    later = site.get(s, "/").text
    assert later.count("失去联系") == 2  # door-1 too, after 30 minutes without a word


def test_overdue_lists_every_late_loan_by_class_and_its_csv_says_the_same(site: Site) -> None:
    s = site.sign_in()
    expected = _overdue_in_db(site)
    assert expected, "the six weeks should leave some books overdue"
    page = site.get(s, "/overdue").text
    assert f"共 {len(expected)} 本书逾期未还" in page
    rows = list(csv.reader(io.StringIO(site.get(s, "/overdue.csv").text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["班级", "借书证号", "姓名"]
    assert {(r[1], r[3]) for r in rows[1:]} == expected
    assert all(int(r[6]) > 0 for r in rows[1:])
    classes = {r[0] for r in rows[1:] if r[0]}
    assert page.count('<section class="notice-page">') == len(classes) + any(
        not r[0] for r in rows[1:]
    )
    one = sorted(classes)[0]
    own = site.get(s, f"/overdue/{one}").text
    assert own.count('<section class="notice-page">') == 1


def test_weekly_counts_checkouts_per_class_per_week_and_ranks_the_classes(site: Site) -> None:
    s = site.sign_in()
    page = site.get(s, "/weekly").text
    assert re.search(r"<option value=\"13\" selected>第13周", page)  # term began Tue 1 Sep
    with site.engine.connect() as conn:
        counted = {
            r[0]: r[1]
            for r in conn.execute(
                select(readers.c.class_name, func.count())
                .select_from(events)
                .join(readers, readers.c.card == events.c.card)
                .where(
                    events.c.type == "checkout",
                    readers.c.role == "student",
                    events.c.effective_time >= local("2026-11-23 00:00"),  # this Monday
                )
                .group_by(readers.c.class_name)
            )
        }
    ranking = page[page.index("本周排名") : page.index("本学期读书之星")]
    for class_name, n in counted.items():
        link = f'href="/weekly/{class_name}?week=13">'
        row = ranking[ranking.index(link) :]
        assert re.search(rf'</a></td><td class="num">{n}</td>', row[:200]), class_name
    best = max(counted.items(), key=lambda kv: kv[1])
    assert "本周借阅先进班级" in page and best[1] > 0
    # The class's own page counts its pupils' books this term against the target (10).
    cls = site.get(s, "/weekly/3-1").text
    assert "目标：10 本" in cls and ("还差" in cls or "已达标" in cls)


def test_weekly_exports_are_the_pages_numbers_in_csv_and_excel(site: Site) -> None:
    s = site.sign_in()
    rows = list(csv.reader(io.StringIO(site.get(s, "/weekly.csv").text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["班级", "人数", "第1周"] and rows[0][-1] == "本学期"
    assert all(sum(map(int, r[2:-1])) == int(r[-1]) for r in rows[1:])
    answer = site.get(s, "/weekly.xlsx")
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(answer.content), read_only=True)
    assert book.sheetnames == ["班级", "人数"]
    sheet = [list(r) for r in book["班级"].iter_rows(values_only=True)]
    assert [r[0] for r in sheet[1:]] == [r[0] for r in rows[1:]]
    assert [r[-1] for r in sheet[1:]] == [int(r[-1]) for r in rows[1:]]


def test_the_log_filters_pages_and_exports_the_same_events(site: Site) -> None:
    s = site.sign_in()
    with site.engine.connect() as conn:
        refusals = conn.execute(
            select(func.count()).where(events.c.type == "refusal", events.c.kiosk == "door-1")
        ).scalar_one()
        total = conn.execute(select(func.count()).select_from(events)).scalar_one()
    first = site.get(s, "/events").text
    assert first.count('<td class="when">') == 50
    older = re.search(r'href="/events\?before=(\d+)"', first)
    assert older is not None
    second = site.get(s, f"/events?before={older.group(1)}").text
    assert "较新" in second and second.count('<td class="when">') == 50
    exported = site.get(s, "/export/events.csv?type=refusal&kiosk=door-1").text.lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == refusals and {r["type"] for r in rows} == {"refusal"}
    garbage = [r for r in rows if r["reason"] == "unknown_code"]
    # Only the length of a code that is not a library's leaves the kiosk.
    assert any(r["code"] == "[not kept: 11 characters]" for r in garbage)
    everything = site.get(s, "/export/events.csv").text
    assert everything.count("\r\n") == total + 1
    koc = site.get(s, "/export/koc?from=2026-11-23&to=2026-11-23").text.splitlines()
    assert koc[0].startswith("Version=1.0\tGenerator=school-library-kiosk")
    line_of_koc = r"2026-11-23 \d\d:\d\d:\d\d \d{3}\t(issue\t\w+\t\S+|return\t\S+)"
    assert koc[1:] and all(re.fullmatch(line_of_koc, line) for line in koc[1:])
    day = site.get(s, "/events?from=2026-11-23&to=2026-11-23&class=3-1").text
    assert "三(1)班" in day and "三(2)班" not in day.split("<tbody>")[1]


def test_a_damage_report_sent_for_repair_is_in_the_repair_register(site: Site) -> None:
    s = site.sign_in()
    with site.engine.connect() as conn:
        item = conn.execute(
            select(review_items.c.id).where(
                review_items.c.kind == "damage_reported",
                review_items.c.barcode == DAMAGED_BOOK,
                review_items.c.resolved_at.is_(None),
            )
        ).scalar_one()
    token = site.form_token(s, "/review")
    answer = site.post(
        s,
        f"/review/{item}",
        data={"form_token": token, "resolution": "sent_for_repair", "note": "封面撕破"},
    )
    assert answer.headers["location"] == "/review?notice=resolved"
    register = site.get(s, "/registers?register=repairs").text
    assert DAMAGED_BOOK in register and "封面撕破" in register and "修补中" in register
    with site.engine.connect() as conn:
        active = conn.execute(
            select(copies.c.active).where(copies.c.barcode == DAMAGED_BOOK)
        ).scalar_one()
    assert active is False  # off the shelf while in repair
    pulled = _pull(site)
    assert any(c.barcode == DAMAGED_BOOK and not c.active for c in pulled.copies)  # type: ignore[attr-defined]
    history = site.get(s, "/review?show=resolved").text
    assert "送修" in history and "wang" in history


def test_marks_on_a_copy_follow_its_state_and_fill_the_registers(site: Site) -> None:
    s = site.sign_in()
    barcode = "0001005"

    def mark(what: str) -> str:
        token = site.form_token(s, f"/catalogue/copy?barcode={barcode}")
        answer = site.post(
            s,
            "/catalogue/mark",
            data={"form_token": token, "barcode": barcode, "mark": what, "note": what},
        )
        return answer.headers["location"].split("notice=")[1]

    assert mark("repaired") == "mark_refused"  # it is on the shelf, not in repair
    assert mark("lost") == "marked"
    assert mark("damaged") == "mark_refused"
    lost = site.get(s, "/registers?register=lost").text
    assert barcode in lost and "12.80" in lost  # the list price, for the school's records
    assert mark("found") == "marked"
    assert mark("reference") == "marked"
    assert mark("withdrawn") == "marked"
    withdrawn = site.get(s, "/registers?register=withdrawals").text
    assert barcode in withdrawn
    with site.engine.connect() as conn:
        row = conn.execute(select(copies).where(copies.c.barcode == barcode)).one()
        query = select(copy_marks.c.mark).where(copy_marks.c.barcode == barcode)
        marks = conn.execute(query.order_by(copy_marks.c.id)).scalars().all()
    assert (row.active, row.loan_type) == (False, "reference")
    assert marks == ["lost", "found", "reference", "withdrawn"]
    # An import of the old catalogue file does not bring the withdrawn copy back.
    token = site.form_token(s, "/catalogue")
    catalogue = (REPO_SAMPLE / "catalog.csv").read_bytes()
    answer = site.post(
        s,
        "/catalogue/upload",
        data={"form_token": token},
        files={"file": ("catalog.csv", catalogue, "text/csv")},
    )
    assert answer.status_code == 200, answer.text
    with site.engine.connect() as conn:
        again = conn.execute(select(copies.c.active).where(copies.c.barcode == barcode))
        assert again.scalar_one() is False


def test_a_roster_with_bad_rows_imports_the_good_ones_and_lists_the_bad(site: Site) -> None:
    s = site.sign_in()
    roster = (
        "借书证号,姓名,班级,年级,身份\n"
        "202630109,王小雨,3-1,3,学生\n"
        "202630110,,3-1,3,学生\n"
        "202630111,又一位,十三班,3,学生\n"
    ).encode("gb18030")
    token = site.form_token(s, "/readers")
    answer = site.post(
        s,
        "/readers/upload",
        data={"form_token": token},
        files={"file": ("名单.csv", roster, "text/csv")},
    )
    assert answer.status_code == 422
    table = answer.text[answer.text.index('id="row-errors"') :]
    assert re.search(r'<td class="num">3</td><td>姓名</td><td>a name</td><td>空</td>', table)
    assert re.search(r'<td class="num">4</td><td>班级</td>.*&#34;十三班&#34;', table)
    assert "新增 1" in answer.text and "拒绝 2 行" in answer.text
    with site.engine.connect() as conn:
        added = conn.execute(select(readers.c.given_name).where(readers.c.card == "202630109"))
        assert added.scalar_one() == "小雨"  # the given name only: the least that works
        active = conn.execute(select(func.count()).where(readers.c.active.is_(True))).scalar_one()
    assert active == 39  # nobody missing from the file was deactivated: rows were rejected


def test_a_deactivated_reader_is_refused_by_kiosks_after_their_pull(site: Site) -> None:
    s = site.sign_in()
    token = site.form_token(s, "/readers?q=202430102")
    answer = site.post(
        s, "/readers/active", data={"form_token": token, "card": "202430102", "active": "no"}
    )
    assert "notice=reader_deactivated" in answer.headers["location"]
    pulled = _pull(site)
    assert any(r.card == "202430102" and not r.active for r in pulled.readers)  # type: ignore[attr-defined]


def test_the_chosen_new_arrivals_are_what_kiosks_pull(site: Site) -> None:
    s = site.sign_in()
    for barcode in ("0001007", "0001003"):
        token = site.form_token(s, f"/catalogue/copy?barcode={barcode}")
        site.post(
            s,
            "/arrivals",
            data={"form_token": token, "barcode": barcode, "action": "add", "back": "copy"},
        )
    token = site.form_token(s, "/arrivals")
    site.post(s, "/arrivals", data={"form_token": token, "barcode": "0001003", "action": "up"})
    pulled = _pull(site)
    assert [a.barcode for a in pulled.new_arrivals] == ["0001003", "0001007"]  # type: ignore[attr-defined]
    page = site.get(s, "/arrivals").text
    assert page.index("夏洛的网") < page.index("0001007")


def test_rules_with_a_mistake_are_not_saved_and_say_which_key(site: Site) -> None:
    s = site.sign_in()
    source = site.get(s, "/rules").text
    assert "阳光小学图书室" in source
    policy = (REPO_SAMPLE / "policy.toml").read_text(encoding="utf-8")
    broken = policy.replace("days = 14", 'days = "two weeks"')
    token = site.form_token(s, "/rules")
    answer = site.post(s, "/rules", data={"form_token": token, "source": broken})
    assert answer.status_code == 422
    assert "loans.days" in answer.text and "未保存" in answer.text
    assert "two weeks" in answer.text  # the text typed is kept in the box
    changed = policy.replace("days = 14", "days = 21")
    token = site.form_token(s, "/rules")
    answer = site.post(s, "/rules", data={"form_token": token, "source": changed})
    assert answer.status_code == 200 and "已保存" in answer.text
    pulled = _pull(site)
    assert "days = 21" in pulled.policy.source  # type: ignore[attr-defined]


def test_a_kiosk_token_is_shown_once_and_a_revoked_one_no_longer_syncs(site: Site) -> None:
    import requests

    s = site.sign_in()
    token = site.form_token(s, "/kiosks")
    answer = site.post(s, "/kiosks", data={"form_token": token, "name": "door-3"})
    new = re.search(r'id="new-token">([^<]+)<', answer.text)
    assert new is not None and new.group(1).startswith("kst_")
    again = site.post(s, "/kiosks", data={"form_token": token, "name": "door-3"})
    assert again.headers["location"] == "/kiosks?notice=already_done"  # a reload shows nothing
    assert new.group(1) not in site.get(s, "/kiosks").text

    def heartbeat(kiosk_token: str) -> int:
        body = {
            "protocol": 1,
            "kiosk_id": "door-3",
            "version": "t",
            "events_waiting": 0,
            "last_sync": None,
            "scanners": [],
            "clock": {"wall": NOW.isoformat(), "mono": 1.0, "boot_id": "b", "synced": True},
        }
        headers = {"Authorization": f"Bearer {kiosk_token}"}
        answer = requests.post(site.url + "/v1/heartbeat", json=body, headers=headers, timeout=30)
        return answer.status_code

    assert heartbeat(new.group(1)) == 200
    token = site.form_token(s, "/kiosks")
    revoked = site.post(s, "/kiosks/revoke", data={"form_token": token, "name": "door-3"})
    assert revoked.headers["location"] == "/kiosks?notice=kiosk_revoked"
    assert heartbeat(new.group(1)) == 401


def test_every_page_answers_in_english_too(site: Site) -> None:
    s = site.sign_in()
    assert site.get(s, "/language/en?next=/weekly").headers["location"] == "/weekly"
    s.cookies.set("library_lang", "en")
    page = site.get(s, "/weekly").text
    assert "Weekly borrowing" in page and "Best-borrowing class this week" in page
    assert '<html lang="en">' in page
    assert "每周借阅统计" not in page
