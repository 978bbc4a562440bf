"""A librarian's or teacher's new password that anyone guessing would try first is refused, with
a sentence that says why, when the account is made and when its password is replaced; nothing
changes (the old password still signs in)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sync.server.db import engine_for, migrate
from sync.server.web import staff
from tests.web.test_commands import run


@pytest.fixture
def server_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = engine_for(url)
    migrate(engine)
    engine.dispose()
    return url


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("12345678", "digits only"),
        ("20150901", "digits only"),
        ("88888888", "digits only"),
        ("password", "most common"),
        ("Password1", "most common"),
        ("qwertyuiop", "most common"),
        ("1qaz2wsx", "most common"),
        ("woaini1314", "most common"),
        ("tushuguan2026!", "most common"),
        ("abababab", "different characters"),
        ("wang2026!", "the account's name"),
        ("2015Wang", "the account's name"),
        ("short1", "at least 8 characters"),
    ],
)
def test_a_password_anyone_would_try_first_is_refused_with_a_reason(
    server_db: str, monkeypatch: pytest.MonkeyPatch, password: str, why: str
) -> None:
    status, out, err = run(server_db, monkeypatch, [password, password], "add-librarian", "wang")
    assert status == 1 and out == ""
    assert why in err and err.endswith("; nothing changed\n"), err


def test_a_weak_new_password_leaves_the_old_one_in_place(
    server_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(server_db, monkeypatch, ["long enough 1"] * 2, "add-teacher", "li",
               "--class", "3-1")[0] == 0  # fmt: skip
    status, _, err = run(server_db, monkeypatch, ["12345678"] * 2, "add-teacher", "li",
                         "--class", "3-1", "--replace")  # fmt: skip
    assert status == 1 and "digits only" in err
    engine = engine_for(server_db)
    try:
        now = datetime.now(UTC)
        assert staff.verify(engine, "li", "long enough 1", now) is not None
        assert staff.verify(engine, "li", "12345678", now) is None
    finally:
        engine.dispose()


def test_a_long_passphrase_of_plain_words_is_welcome(
    server_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, _ = run(server_db, monkeypatch, ["books on the third shelf"] * 2,
                         "add-librarian", "wang")  # fmt: skip
    assert status == 0 and "librarian 'wang'" in out
