"""The end of term at the door (期末催还书): from ``term.recall_days`` before the term's last day,
the greeting asks a child who still holds books to bring them all back by that day, on the
screen and in ``kiosk scan``'s words; a child holding nothing, and every child before those
days, is greeted as always."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.commands._output import decision_text
from kiosk.core.decisions import Outcome
from kiosk.core.policy_file import PolicyError, parse_policy
from kiosk.core.session import Button
from kiosk.ui.presenters import recall_text
from tests.conftest import EXAMPLES, example_policy, make_school

SAMPLE_POLICY = (EXAMPLES / "policy.toml").read_text(encoding="utf-8")


def test_the_greeting_asks_for_every_book_back_in_the_terms_last_days(tmp_path: Path) -> None:
    school = make_school(tmp_path / "kiosk.db", example_policy(), start="2027-01-11 10:05")
    school.scan("S31")
    assert school.scan("B3").outcome is Outcome.BORROWED  # free time (大课间), 11 days before
    school.press(Button.DONE)
    school.clock.advance(10)
    assert "recall" not in school.scan("S31").params  # the 11th day before: not yet
    school.press(Button.DONE)

    school.go_to("2027-01-13 10:05")  # the 10th day before the last, 22 January
    hello = school.scan("S31")
    assert hello.params["recall"] == "2027-01-22"
    assert recall_text(hello, "zh_CN") == "期末快到了：请在1月22日前把借的书都还回来哦！"
    assert (
        recall_text(hello, "en")
        == "The term ends soon: please bring all your books back by 22 Jan!"
    )
    assert decision_text(hello, "zh_CN").endswith(" 期末快到了：请在1月22日前把借的书都还回来哦！")
    school.press(Button.DONE)
    school.clock.advance(10)
    nothing_out = school.scan("S32")  # holds no book: nothing to bring back
    assert "recall" not in nothing_out.params and recall_text(nothing_out, "zh_CN") == ""
    school.press(Button.DONE)

    school.go_to("2027-01-22 10:05")  # the last day itself
    assert school.scan("S31").params["recall"] == "2027-01-22"
    school.store.close()


def test_recall_days_zero_never_asks(tmp_path: Path) -> None:
    policy = parse_policy(SAMPLE_POLICY.replace("recall_days = 10", "recall_days = 0"))
    school = make_school(tmp_path / "kiosk.db", policy, start="2027-01-20 10:05")
    school.scan("S31")
    assert school.scan("B3").outcome is Outcome.BORROWED
    school.press(Button.DONE)
    school.clock.advance(10)
    assert "recall" not in school.scan("S31").params
    school.store.close()


@pytest.mark.parametrize("value", ["-1", "61", '"ten"', "true"])
def test_a_bad_recall_days_is_named_by_its_key(value: str) -> None:
    assert parse_policy(SAMPLE_POLICY).term.recall_days == 10
    with pytest.raises(PolicyError) as caught:
        parse_policy(SAMPLE_POLICY.replace("recall_days = 10", f"recall_days = {value}"))
    assert any(
        p.startswith("term.recall_days: expected a whole number from 0 to 60")
        for p in caught.value.problems
    ), caught.value.problems
