"""Given names from full names: the kiosk keeps only what it greets a child by (children's data)."""

from __future__ import annotations

import re

__all__ = ["COMPOUND_SURNAMES", "given_name"]

# Two-character surnames (复姓), mostly from the 百家姓, in simplified and traditional forms.
# Left out on purpose: pairs whose first character is a common surname and whose second is a
# common first character of given names (e.g. 吴铭), where guessing a compound is more often wrong.
_COMPOUND_SURNAMES_TEXT = """
    欧阳 太史 端木 上官 司马 东方 独孤 南宫 万俟 闻人 夏侯 诸葛 尉迟 公羊 赫连 澹台 皇甫
    宗政 濮阳 公冶 太叔 申屠 公孙 慕容 仲孙 钟离 长孙 宇文 司徒 鲜于 司空 闾丘 子车 亓官
    司寇 巫马 公西 颛孙 壤驷 公良 漆雕 乐正 宰父 谷梁 拓跋 夹谷 轩辕 令狐 段干 百里 呼延
    东郭 南门 羊舌 微生 公户 公玉 公仪 梁丘 公仲 公上 公门 公山 公坚 左丘 公伯 西门 公祖
    第五 公乘 贯丘 公皙 南荣 东里 东宫 仲长 子书 子桑 即墨 达奚 褚师 纳兰 完颜
    歐陽 司馬 東方 獨孤 聞人 諸葛 尉遲 赫連 澹臺 宗政 濮陽 公孫 長孫 鍾離 鮮於 閭丘 顓孫
    壤駟 樂正 穀梁 軒轅 東郭 南門 西門 左丘 東里 東宮 仲長 達奚
"""
COMPOUND_SURNAMES = frozenset(_COMPOUND_SURNAMES_TEXT.split())

# Han ideographs (basic, extension A, compatibility, extensions B onward).
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# Names of Uyghur, Kazakh and other families are written given name first, joined by a dot.
_NAME_DOTS = re.compile(r"[·・•‧.．]")
# A teacher listed as 武老师 is already the form of address the kiosk should use.
_TITLES = ("老师", "老師")


def given_name(full_name: str) -> str:
    """The name the kiosk greets a reader by.

    Chinese names lose their surname (compound surnames included): 王小明 -> 小明,
    欧阳娜娜 -> 娜娜, 李明 -> 明. Dotted names keep their first part, names in Latin script their
    first word, and a one-character name is kept whole.
    """
    words = full_name.split()
    if not words:
        return ""
    if not _HAN.search(full_name):
        # "Li, Anna" is how a list sorted by surname writes Anna Li.
        _surname, comma, given = full_name.partition(",")
        if comma and given.split():
            return given.split()[0]
        return words[0].rstrip(",") or words[0]
    # Spreadsheets pad two-character names to line up with three-character ones: "王  明".
    name = "".join(words)
    if name.endswith(_TITLES):
        return name
    if _NAME_DOTS.search(name):
        parts = [part for part in _NAME_DOTS.split(name) if part]
        return parts[0] if parts else name
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[1:]
    if name[:2] in COMPOUND_SURNAMES:
        return name[2:]
    if len(name) == 3:
        return name[1:]
    if len(name) == 4:
        # Four characters and no known compound: most often two joined surnames (张李子涵),
        # rarely a three-character given name; the two-character given name is the better guess.
        return name[2:]
    # Five or more Han characters without a dot is a transliterated name whose parts we cannot
    # tell apart; greeting by the whole name beats greeting by a fragment.
    return name
