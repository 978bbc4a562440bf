"""Kiosk messages that are not protocol v1: broken JSON, a field of the wrong type at any
depth, nesting and numbers past any parser's comfort, the wrong encoding or media type, a body
over the limit, and a Content-Length that lies (sent over a bare socket)."""

from __future__ import annotations

import json
import random
from typing import Any

from sync.protocol import MAX_BODY_BYTES
from tools.fuzz.sending import Request

JSON = (("Content-Type", "application/json"),)
PUSH = "/v1/push"
TYPE_JUNK: list[Any] = [None, True, 0, -1, 2**64, 10**30, 1.5, "", "x" * 5000, [], {}, [None]]


def request(rng: random.Random, path: str, base: dict[str, Any], kiosk: str, token: str) -> Request:
    """``base`` (a valid message for ``path``) broken one way; ``kiosk`` sends it."""
    text = json.dumps(base)
    how = rng.randrange(14)
    headers = JSON
    if how == 0:
        body, note = text[: rng.randrange(len(text))].encode(), "truncated JSON"
    elif how == 1:
        at = rng.randrange(len(text))
        body, note = (
            (text[:at] + rng.choice('{}[],:"\\x') + text[at:]).encode(),
            "a stray character",
        )
    elif how == 2:
        body, note = _wrong_type(rng, base), "a field of the wrong type"
    elif how == 3:
        body, note = ("[" * 100_000 + "]" * 100_000).encode(), "100,000 nested arrays"
    elif how == 4:
        body, note = b"\xef\xbb\xbf" + text.encode(), "a UTF-8 BOM"
    elif how == 5:
        body, note = text.encode("utf-16", "surrogatepass"), "UTF-16"
    elif how == 6:
        body, note = text.encode()[:-1] + b"\xff\xfe}", "bytes that are not UTF-8"
    elif how == 7:
        body, note = text.replace('"protocol": 1', '"protocol": 1e400').encode(), "1e400"
    elif how == 8:
        body, note = (
            text.replace('"protocol": 1', '"protocol": ' + "9" * 5000).encode(),
            "a 5000-digit number",
        )
    elif how == 9:
        body, note = (
            (text[:-1] + ', "protocol": 2, "protocol": 1}').encode(),
            "a duplicated key",
        )
    elif how == 10:
        body, note = b'{"pad": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}', "over the body limit"
    elif how == 11:
        body, note = text.encode(), "the wrong media type"
        headers = (
            (
                "Content-Type",
                rng.choice(
                    [
                        "text/plain",
                        "application/x-www-form-urlencoded",
                        "",
                        "application/json; charset=utf-16",
                        "application/jsonx",
                    ]
                ),
            ),
        )
    elif how == 12:
        body, note = (
            rng.choice([b"", b"null", b"0", b'"x"', b"NaN", b"[]", b"{}"]),
            "not an object",
        )
    else:
        data = text.encode()
        length = rng.choice([b"-1", b"abc", b"99999999999999999999", b"1e3", b" 12", b"5"])
        raw = (
            b"POST "
            + path.encode()
            + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + b"Authorization: Bearer "
            + token.encode()
            + b"\r\nContent-Length: "
            + length
            + b"\r\nConnection: close\r\n\r\n"
            + data
        )
        return Request(f"POST {path}", "POST", path, f"Content-Length: {length.decode()}", raw=raw)
    # A push the parser lets through is acted on: only its refusal must change nothing.
    return Request(
        f"POST {path}",
        "POST",
        path,
        note,
        kiosk=kiosk,
        headers=headers,
        body=body,
        may_change=path == PUSH,
    )


def _wrong_type(rng: random.Random, body: dict[str, Any]) -> bytes:
    """``body`` with one field, at any depth, replaced by a value of another type."""
    paths: list[list[Any]] = []

    def walk(value: Any, path: list[Any]) -> None:
        if path:
            paths.append(path)
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, [*path, key])
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(inner, [*path, index])

    walk(body, [])
    copy = json.loads(json.dumps(body))
    target = rng.choice(paths)
    holder = copy
    for step in target[:-1]:
        holder = holder[step]
    holder[target[-1]] = rng.choice(TYPE_JUNK)
    return json.dumps(copy).encode()
