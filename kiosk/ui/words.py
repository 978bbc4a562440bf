"""The screens' own sentences (the catalogues' ``ui.*`` keys) and how class names are written."""

from __future__ import annotations

from kiosk.i18n import catalogue

_CHINESE_NUMBERS = "〇一二三四五六七八九"


def text(key: str, language: str, **values: object) -> str:
    """The sentence for ``key``; a missing key shows as the key itself (a bug, never a crash)."""
    template = catalogue(language).get(key, key)
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def grade_name(grade: int, language: str) -> str:
    return _CHINESE_NUMBERS[grade] if language == "zh_CN" and 0 < grade < 10 else str(grade)


def class_name(canonical: str, language: str) -> str:
    """``3-2`` as a child reads it: 三(2)班 / Class 3-2."""
    grade, _, number = canonical.partition("-")
    if not grade.isdigit() or not number.isdigit():
        return canonical
    return text("ui.class", language, grade=grade_name(int(grade), language), number=number)


def grade_label(grade: int, language: str) -> str:
    return text("ui.grade", language, grade=grade_name(grade, language))


# Chinese punctuation that must not begin a line (避头点): a line break before it carries the
# character before it along.
NO_LINE_START = frozenset("，。！？、；：）》」』”’…%")


def keep_punctuation(lines: list[str]) -> str | None:
    """The text broken so that no line starts with closing punctuation; None if none does.

    ``lines`` are the lines as the label wrapped them. Kivy breaks Chinese text anywhere, so
    "请找老师帮忙" + "。" can end up with the full stop alone on the last line.
    """
    fixed = list(lines)
    changed = False
    for i in range(1, len(fixed)):
        if fixed[i][:1] in NO_LINE_START and len(fixed[i - 1]) > 1:
            fixed[i - 1], fixed[i] = fixed[i - 1][:-1], fixed[i - 1][-1] + fixed[i]
            changed = True
    return "\n".join(fixed) if changed else None


def joined(items: list[str], language: str) -> str:
    return text("ui.list_separator", language).join(items)
