"""Every sentence of the pages exists in Simplified Chinese, with the same placeholders, and the
catalogue carries no sentence the pages no longer say (read with Babel's own extractors, as a
translator's tool would)."""

from __future__ import annotations

import re

from babel.messages.extract import extract_from_dir

from sync.server.web.i18n import LOCALE_DIR, catalogue
from tests.conftest import REPO

KEYWORDS = {"_": None, "N_": None, "t": None, "gettext": None}


def _said() -> dict[str, str]:
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        REPO / "sync" / "server" / "web",
        [("**/templates/**.html", "jinja2"), ("**.py", "python")],
        keywords=KEYWORDS,
        options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        found.setdefault(str(message), f"{filename}:{lineno}")
    return found


def test_every_sentence_of_the_pages_has_its_chinese() -> None:
    said, zh = _said(), catalogue("zh_CN")
    assert len(said) > 300
    missing = {m: where for m, where in said.items() if not zh.get(m, "").strip()}
    assert not missing, f"add these to {LOCALE_DIR}/zh_CN/LC_MESSAGES/web.po: {missing}"


def test_the_chinese_keeps_every_placeholder() -> None:
    for english, chinese in catalogue("zh_CN").items():
        placeholders = set(re.findall(r"{(\w+)}", english))
        assert placeholders == set(re.findall(r"{(\w+)}", chinese)), english


def test_the_catalogue_holds_nothing_the_pages_no_longer_say() -> None:
    stale = set(catalogue("zh_CN")) - set(_said())
    assert not stale
