"""What the fuzzer found in the door and the rules: a refusal of a book or a card kept what was
read though it was no library code; a policy file nested hundreds deep crashed its reader."""

from __future__ import annotations

import pytest

from kiosk.core.codes import kept_code
from kiosk.core.decisions import Reason
from kiosk.core.policy_file import PolicyError, parse_policy
from tests.conftest import EXAMPLES, ISBN_ONLY, School


def _refusal_codes(school: School) -> list[str | None]:
    return [e.event.code for e in school.store.events() if e.event.type.value == "refusal"]


def test_a_refused_book_keeps_of_the_scan_only_what_kept_code_keeps(school: School) -> None:
    school.go_to("2026-11-24 12:15")  # Tuesday: not 3-1's lunchtime
    school.scan("S31")
    typed = (
        f"ISBN {ISBN_ONLY[:3]}-{ISBN_ONLY[3]}-{ISBN_ONLY[4:8]}-{ISBN_ONLY[8:12]}-{ISBN_ONLY[12]}"
    )
    refused = school.scan(typed)
    assert refused.reason is Reason.OUTSIDE_WINDOW
    assert _refusal_codes(school) == [kept_code(typed)]
    assert _refusal_codes(school)[0] == f"[not kept: {len(typed)} characters]"


def test_a_refused_copy_scanned_by_its_internal_code_is_not_kept_as_read(school: School) -> None:
    school.go_to("2026-11-24 12:15")
    school.scan("S31")
    internal = f"{ISBN_ONLY}#1"  # how the catalogue names an unlabelled copy; no label says it
    assert school.scan(internal).reason is Reason.OUTSIDE_WINDOW
    assert _refusal_codes(school) == [kept_code(internal)] != [internal]


def test_a_policy_nested_hundreds_deep_is_refused_with_a_sentence() -> None:
    text = (EXAMPLES / "policy.toml").read_text(encoding="utf-8")
    deep = text.replace("[session]", "x = " + "[" * 500 + "]" * 500 + "\n[session]", 1)
    with pytest.raises(PolicyError, match="nests arrays or tables too deeply"):
        parse_policy(deep)
