"""`kiosk-server add-librarian` and `add-teacher`: the password asked twice on the terminal
(getpass is given the answers, as a person would type them), never taken from the command line."""

from __future__ import annotations

import contextlib
import getpass
import io
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from sync.server.cli import main
from sync.server.db import engine_for, migrate
from sync.server.tables import staff, web_sessions
from tests.sync.processes import BIN


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = engine_for(url)
    migrate(engine)
    engine.dispose()
    return url


def run(
    db: str, monkeypatch: pytest.MonkeyPatch, answers: list[str], *argv: str
) -> tuple[int, str, str]:
    typed: Iterator[str] = iter(answers)
    prompts: list[str] = []

    def ask(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(typed)

    monkeypatch.setattr(getpass, "getpass", ask)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([*argv, "--db", db])
    assert len(prompts) == min(2, len(answers) + 1)
    return status, out.getvalue(), err.getvalue()


def _accounts(db: str) -> list[tuple[str, str, str | None, str]]:
    engine = engine_for(db)
    with engine.connect() as conn:
        rows = conn.execute(select(staff.c.name, staff.c.role, staff.c.class_name,
                                   staff.c.password_hash)).all()  # fmt: skip
    engine.dispose()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_add_librarian_asks_twice_and_keeps_only_an_argon2id_hash(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, _ = run(
        db, monkeypatch, ["long enough 1", "long enough 1"], "add-librarian", "wang"
    )
    assert status == 0 and "librarian 'wang'" in out
    ((name, role, class_name, hashed),) = _accounts(db)
    assert (name, role, class_name) == ("wang", "librarian", None)
    assert hashed.startswith("$argon2id$") and "long enough" not in hashed


def test_two_different_answers_or_a_short_password_change_nothing(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _, err = run(
        db, monkeypatch, ["long enough 1", "long enough 2"], "add-librarian", "wang"
    )
    assert status == 1 and "the two passwords differ" in err
    status, _, err = run(db, monkeypatch, ["short", "short"], "add-librarian", "wang")
    assert status == 1 and "at least 8 characters" in err
    assert _accounts(db) == []


def test_a_teacher_account_is_bound_to_one_class_written_either_way(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, _ = run(db, monkeypatch, ["teacher pass", "teacher pass"], "add-teacher", "li",
                         "--class", "三年级(1)班")  # fmt: skip
    assert status == 0 and "class 3-1" in out
    status, _, err = run(db, monkeypatch, ["teacher pass", "teacher pass"], "add-teacher", "zhao",
                         "--class", "13")  # fmt: skip
    assert status == 1 and "--class: expected a class such as 3-2" in err
    assert [a[:3] for a in _accounts(db)] == [("li", "teacher", "3-1")]


def test_an_existing_name_needs_replace_and_a_new_password_signs_it_out(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(db, monkeypatch, ["first password", "first password"], "add-librarian", "wang")
    status, _, err = run(db, monkeypatch, ["second password", "second password"], "add-librarian",
                         "wang")  # fmt: skip
    assert status == 1 and "--replace" in err
    engine = engine_for(db)
    from datetime import UTC, datetime

    from sync.server.web import signin
    from sync.server.web import staff as accounts

    with engine.begin() as conn:
        who = accounts.find(conn, "wang")
        assert who is not None
        signin.start(conn, who, datetime.now(UTC))
    status, _, _ = run(db, monkeypatch, ["second password", "second password"], "add-librarian",
                       "wang", "--replace")  # fmt: skip
    assert status == 0
    with engine.connect() as conn:
        assert conn.execute(select(web_sessions)).first() is None
    assert accounts.verify(engine, "wang", "second password", datetime.now(UTC)) is not None
    assert accounts.verify(engine, "wang", "first password", datetime.now(UTC)) is None
    engine.dispose()


def test_the_password_is_never_an_argument() -> None:
    shown = subprocess.run([str(BIN / "kiosk-server"), "add-librarian", "--help"],
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "password" in shown and "--password" not in shown


def test_the_migrations_go_down_and_up_again(db: str) -> None:
    from alembic import command

    from sync.server.db import SCHEMA_HEAD, _config, schema_problem

    engine = engine_for(db)
    command.downgrade(_config(engine), "0001")
    assert schema_problem(engine) is not None
    migrate(engine)
    assert schema_problem(engine) is None and SCHEMA_HEAD == "0600"
    engine.dispose()
