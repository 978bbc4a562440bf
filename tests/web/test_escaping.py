"""Words put together on a page are text, never markup: whatever reaches ``_()`` from the data,
and every value put into a translated sentence, is shown escaped, in both languages."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy import insert

from sync.server.tables import review_items
from sync.server.web.render import environment
from tests.web.conftest import NOW, Site

HOSTILE = "<script>alert(1)</script>"
SHOWN = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_an_inbox_kind_this_version_has_no_words_for_is_shown_as_text(site: Site) -> None:
    """A kind written by a newer server on the same database (or by hand) reaches ``_()``."""
    with site.engine.begin() as conn:
        for n, kind in enumerate((HOSTILE, "late by 100% & more")):
            conn.execute(
                insert(review_items).values(
                    kind=kind, key=f"hostile-{n}", detail="{}", created_at=NOW.astimezone(UTC)
                )
            )
    page = site.get(site.sign_in(), "/review")
    assert page.status_code == 200
    assert SHOWN in page.text and HOSTILE not in page.text
    assert "late by 100% &amp; more" in page.text


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize(
    "template",
    [
        "{{ _(value) }}",
        '{{ _("Kiosk {name} is registered. Its token is below: it is shown only this once. '
        'Save it on the kiosk as its token file.").format(name=value) }}',
        '{{ _("on loan to {card}, due {day}").format(card=value, day="1") }}',
        '{{ _("%(name)s borrowed it", name=value) }}',
        '{{ ngettext("%(n)s book for %(name)s", "%(n)s books for %(name)s", 2, n=2, name=value) }}',
    ],
)
def test_a_value_in_a_translated_sentence_is_escaped(language: str, template: str) -> None:
    shown = environment(language).from_string(template).render(value=HOSTILE)
    assert SHOWN in shown and "<script" not in shown


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_a_sentence_is_text_even_when_it_holds_signs_of_markup_or_formats(language: str) -> None:
    env = environment(language)
    assert env.from_string("{{ _(value) }}").render(value="100% <b>") == "100% &lt;b&gt;"
    assert env.from_string('{{ _("Today") }}').render() == (
        "今日" if language == "zh_CN" else "Today"
    )
