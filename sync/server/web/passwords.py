"""What makes a new staff password too easy to guess: the rules, and the common passwords.

A password is tried by people who know the school, by scripts with lists of leaked passwords,
and, if the database is ever copied, offline at the speed Argon2 allows. So beside a length,
a new password may not be digits only (a date, a phone number, 12345678), nearly one repeated
character, the account's own name with digits added, or a common password, also with
digits or signs added at either end (password1, woaini1314, 2024qwerty!). The list is short and
shipped here (no library in the server's environment estimates strength, and a strength
library is one more dependency to keep for a few hundred words): the passwords at the top of
the published leak lists, English and Chinese (pinyin), keyboard walks, and the words a school
library would try first. That follows NIST SP 800-63B: a length and a list of known-bad
passwords, no rules about which kinds of character must appear.
"""

from __future__ import annotations

MIN_LENGTH = 8
MAX_LENGTH = 200  # Argon2 takes any length; a bound keeps a huge form field cheap to refuse
MIN_DISTINCT = 4  # aaaaaaaa, abababab, 1a1a1a1a
_END_SIGNS = "0123456789!@#$%^&*()-_=+.,;:?~ "

# Lower case; compared with the whole password and with it less the digits and signs at its ends.
COMMON = frozenset(
    """
    password passw0rd p@ssword p@ssw0rd pass passwd pass123 password123 mypassword
    letmein welcome welcome1 changeme default secret login admin administrator root guest test
    tester testing user demo master manager super superuser sysadmin webmaster system server
    qwerty qwertyu qwertyui qwertyuiop qwer qwert qwe qweasd qweasdzxc qweasdzxc123 qwer1234
    qwerty123 qwe123 qwe123456 qwe123qwe qwaszx qwaszxqwaszx 1qaz2wsx 1qaz2wsx3edc 1qazxsw2
    1q2w3e4r 1q2w3e4r5t 1q2w3e 1qaz 2wsx zaq12wsx zaq1 zaq1zaq1 zaq1xsw2 xsw2 qazwsx qazwsxedc
    qazwsxedcrfv asdf asdfg asdfgh asdfghj asdfghjk asdfghjkl asdasd asdasdasd asd123 asdqwe
    asdf1234 zxcv zxcvb zxcvbn zxcvbnm zxcvbnm123 zxc zxc123 zxczxc zxcasdqwe azerty azertyuiop
    qwertz abc abcd abcde abcdef abcdefg abcdefgh abc123 abcd1234 abc123456 abc12345678 abcabc
    aaa aaaa aaaaaa aaaaaaaa a a1 a12 a123 a1234 a12345 a123456 a1234567 a12345678 a123456789
    aa aa123456 aaa111 q w e x z qq qqq qqqq qqqqqqqq qq123456 www wwwwww zzz zzzzzz
    iloveyou iloveyou1 iloveu love lover loveme lovely loveyou ilove iloveyou1314 sunshine
    princess monkey dragon shadow master superman batman spiderman football baseball basketball
    soccer hockey tennis golf jordan jordan23 michael michael1 daniel jessica ashley charlie
    thomas hunter ranger buster tigger ginger pepper cookie chocolate summer winter flower
    killer trustno1 whatever freedom hello hello123 helloworld starwars pokemon minecraft
    computer internet samsung apple google facebook linkedin myspace1 mustang harley
    matrix cheese banana orange purple silver golden diamond angel angels babygirl blink182
    nicole jennifer hannah justin andrew joshua anthony william robert matthew
    woaini woaini1314 woaini520 woaini521 woainima woaiwojia woaiwoziji aini aini1314 iloveu1314
    wodemima mima mimamima mima123 zhimakaimen xiaoxiao xiaoming xiaohong xiaoli xiaowang
    laopo laogong baobao baobei beibei qianqian tiantian yangyang jingjing lili feifei
    tianya tianshi shanghai beijing guangzhou shenzhen zhongguo china chinese
    wang zhang li liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng
    liang xie song tang han feng deng cao peng zeng xiao tian dong pan yuan cai jiang yu du ye
    cheng wei su lu ding ren shen yao jin
    wangwei zhangwei liwei wangfang liuyang zhangmin lijing wangjing zhangjing
    tushuguan tushu xuexiao xiaoxue laoshi xuesheng banzhuren xiaozhang jiaoshi jiaowu
    library librarian libraries books book reading reader school teacher student students
    classroom principal headteacher kiosk kiosks
    dearbook xiazhili ffffff fuckyou fuckyou1 fuckoff
    q1w2e3r4 q1w2e3r4t5 q1w2e3 1a2b3c4d a1b2c3d4 a1b2c3 1a2b3c abc123abc 123abc 123qwe
    123qweasd 123qweasdzxc 123asd 123zxc 123aaa 123abc456 123456a 123456aa 123456abc
    123456q 123456qq 123456qwe 123456z 12345a 12345qwert 1234abcd 1234qwer 1234asdf
    1234abc 12qwaszx 1qw23er4 qw12qw12 aa112233 qq1234 qq123 qq111111 aptx4869 woshishui
    nihao nihao123 haha hehe hahaha hehehe xixi ok okok 123ok
    """.split()  # noqa: SIM905 (a list of 400 words reads better as words than as quoted strings)
)


def problem(password: str, name: str = "") -> str | None:
    """What is wrong with ``password`` as a new password of the account ``name``, or None."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"a password has at most {MAX_LENGTH} characters"
    if password.isdigit():
        return "a password of digits only (a date, a phone number) is guessed quickly; add words"
    if len(set(password.casefold())) < MIN_DISTINCT:
        return f"a password needs at least {MIN_DISTINCT} different characters"
    lowered = password.casefold()
    core = lowered.strip(_END_SIGNS)
    if name and core == name.casefold().strip(_END_SIGNS):
        return "a password may not be the account's name with digits or signs added"
    if lowered in COMMON or core in COMMON:
        return "this password is one of the most common ones, tried first by anyone guessing"
    return None
