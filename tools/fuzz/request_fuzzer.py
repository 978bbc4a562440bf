"""The request half of the fuzzer: hostile requests at a live server, one at a time, each
answer checked, the watched tables compared before and after every run of requests that must
change nothing, and each distinct failure replayed on a fresh server to find what it needs.

Invariants: no 5xx answer; an answer within the timeout; a refused request (4xx, a redirect to
sign in, a form answered "nothing done") changes none of the watched tables; nobody is answered
on a page they may not see; the server process stays up; a burst of sign-ins is held back.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sync.server.web.signin import FREE_FAILURES
from tests.sync.postgres import Cluster
from tools.fuzz import tally as kinds
from tools.fuzz.pages import PUBLIC, PageRequests, Route, routes, teacher_may_see
from tools.fuzz.protocol import KioskRequests
from tools.fuzz.sending import Identities, Request, Response, Sender, sign_in
from tools.fuzz.server import LIBRARIAN, PASSWORD, TEACHER, FuzzServer, Snapshot, differences
from tools.fuzz.tally import Tally
from tools.fuzz.texts import SchoolCodes

BATCH = 25  # requests that must change nothing, compared as one
# A post answered with one of these notices did nothing (see sync.server.web's see_other calls).
NOTHING_DONE = re.compile(
    r"notice=(already_done|bad_choice|no_such_copy|no_such_reader|mark_refused|arrival_there|"
    r"arrival_full|reader_unchanged|not_on_shelf|no_copy)\b"
)
_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')
# "ValueError: …", "sqlalchemy.exc.StatementError: (builtins.OverflowError) …"
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt))(?:: \(([\w.]+)\))?")


@dataclass(frozen=True)
class Sent:
    request: Request
    answer: Response


@dataclass(frozen=True)
class Pending:
    """A new failure waiting for its reproduction to be shrunk."""

    kind: str
    signature: str
    sent: Sent
    batch: list[Sent]  # for a change: the requests any of which may have made it
    accepted_before: int  # how many requests the server had acted on by then


# An upload imports a file's good rows and answers 422 with the rows it could not take
# (sync.server.web.library.import_file): acted on, not refused.
PARTIAL_IMPORTS = {"POST /catalogue/upload", "POST /readers/upload"}


def refused(request: Request, answer: Response) -> bool:
    """An answer that says nothing was done."""
    if answer.status == 422 and request.route in PARTIAL_IMPORTS:
        return False
    if 400 <= answer.status < 500:
        return True
    if answer.status in (302, 303):
        return answer.location.startswith("/signin") or bool(NOTHING_DONE.search(answer.location))
    return False


def crash_signature(log: str, answer: Response) -> tuple[str, str]:
    """(signature, the traceback's last lines) of the server's log for one failed answer: the
    exception and the last frame of the project's own code it went through."""
    block = log[log.rfind("Traceback") :] if "Traceback" in log else ""
    lines = [line for line in block.splitlines() if line.strip()]
    raised = [m for line in lines if (m := _EXCEPTION.match(line))]
    if raised:
        name, inner = raised[-1].group(1).rsplit(".", 1)[-1], raised[-1].group(3)
        kind = f"{name} ({inner.rsplit('.', 1)[-1]})" if inner else name
    else:
        kind = f"no traceback, {answer.status or answer.error}"
    ours = [m for m in _FRAME.finditer(block) if "/site-packages/" not in m.group(1)]
    frame = ours[-1] if ours else None
    where = f" at {'/'.join(frame.group(1).split('/')[-2:])}:{frame.group(2)}" if frame else ""
    return f"{kind}{where}", "\n".join(lines[-14:])


def shown(request: Request, answer: Response | None = None) -> str:
    """A request as a person reads it (session cookies and form tokens named, not copied)."""
    if request.raw is not None:
        text = f"raw bytes on a socket: {request.raw[:400]!r}"
    else:
        parts = [f"{request.method} {request.path[:300]}"]
        if request.who != "nobody":
            parts.append(f"  signed in as: {request.who}")
        if request.kiosk is not None:
            parts.append(f"  Authorization: Bearer <{request.kiosk[:40]}'s token>")
        parts += [f"  {k}: {v[:120]}" for k, v in request.headers]
        if request.form is not None:
            fields = ", ".join(f"{k}={v[:60]!r}" for k, v in request.form[:8])
            parts.append(f"  form (token {request.form_token}): {fields}")
        for name, filename, data, kind in request.files:
            parts.append(
                f"  file {name}: {filename[:60]!r} ({kind}, {len(data)} bytes) {data[:80]!r}"
            )
        if request.body is not None:
            parts.append(f"  body ({len(request.body)} bytes): {request.body[:600]!r}")
        text = "\n".join(parts)
    text += f"\n  ({request.note})"
    if answer is not None:
        text += f"\n→ {answer.status or answer.error} in {answer.seconds:.2f} s"
    return text


class RequestFuzzer:
    def __init__(
        self,
        seed: int,
        tally: Tally,
        database: str,
        folder: Path,
        *,
        cluster: Cluster | None = None,
        storm: int = 0,
        minimise_seconds: float = 120.0,
    ) -> None:
        self.seed = seed
        self.tally = tally
        self.database = database
        self.part = f"requests ({database})"
        self.server = FuzzServer(database, folder, cluster)
        self.storm_size = storm
        self.minimise_seconds = minimise_seconds
        self.accepted: list[Sent] = []  # requests the server acted on, oldest first
        self.to_minimise: list[Pending] = []

    # --- the run ------------------------------------------------------------------------------

    def run(self, count: int) -> None:
        server = self.server
        server.prepare(datetime.now(UTC))
        server.start()
        try:
            self.ids = self._sign_in_all()
            sender = Sender(server.address, self.ids)
            rng = random.Random(f"{self.seed}/requests/{self.database}")
            codes = SchoolCodes.sample()
            found = routes()
            self.tally.count(self.part, "routes declared by the app", len(found))
            kiosk = KioskRequests(rng, server.school, codes)
            pages = PageRequests(rng, server.school, codes, found)
            if self.storm_size:
                self._storm(self.storm_size)
            self._loop(count, rng, sender, kiosk, pages, found)
        finally:
            server.stop()
            server.dispose()
        self._minimise_all()

    def _sign_in_all(self) -> Identities:
        ids = Identities(kiosk_tokens=dict(self.server.school.tokens))
        for who, name in (("librarian", LIBRARIAN), ("teacher", TEACHER)):
            status, cookie = sign_in(self.server.address, name, PASSWORD)
            if cookie is None:
                raise RuntimeError(f"the fuzzer could not sign in as {name}: {status}")
            ids.sessions[who] = cookie
        for n in range(40):  # sessions that a valid sign-out may end
            _, cookie = sign_in(self.server.address, (LIBRARIAN, TEACHER)[n % 2], PASSWORD)
            if cookie:
                ids.spares.append(cookie)
        return ids

    def _loop(
        self,
        count: int,
        rng: random.Random,
        sender: Sender,
        kiosk: KioskRequests,
        pages: PageRequests,
        found: list[Route],
    ) -> None:
        server = self.server
        before = server.snapshot()
        batch: list[Sent] = []
        every = [r for r in found if not r.path.startswith("/v1/")]
        for n in range(count):
            if n < len(every) * 3:  # every route, by everyone, first
                route = every[n % len(every)]
                request = pages.next_for(route, ("nobody", "teacher", "librarian")[n // len(every)])
            elif rng.random() < 0.4:
                request = kiosk.next()
            else:
                request = pages.next()
            if request.may_change:
                before = self._close(batch, before)
                batch = []
            sent = self._send(sender, request)
            kiosk.answered(request, sent.answer)
            if request.may_change:
                after = server.snapshot()
                if after != before:
                    if refused(request, sent.answer):
                        self._changed([sent], before, after)
                    else:
                        self.accepted.append(sent)
                before = after
            else:
                batch.append(sent)
                if len(batch) >= BATCH:
                    before = self._close(batch, before)
                    batch = []
            if n % 200 == 0:
                pages.review_ids = server.review_ids() or [1]
        self._close(batch, before)

    def _close(self, batch: list[Sent], before: Snapshot) -> Snapshot:
        if not batch:
            return before
        after = self.server.snapshot()
        if after != before:
            self._changed(batch, before, after)
        return after

    def _changed(self, batch: list[Sent], before: Snapshot, after: Snapshot) -> None:
        diff = differences(before, after)
        routes_seen = sorted({s.request.route for s in batch})
        where = routes_seen[0] if len(routes_seen) == 1 else "requests that must change nothing"
        signature = "; ".join(d.split(":")[0] for d in diff)
        listing = "\n".join(shown(s.request, s.answer) for s in batch[-BATCH:])
        reproduction = f"one of these changed {signature}:\n{listing}\nchanges:\n" + "\n".join(diff)
        if self.tally.fail(kinds.CHANGE, where, signature, "; ".join(diff)[:200], reproduction):
            self.to_minimise.append(
                Pending(kinds.CHANGE, signature, batch[-1], list(batch), len(self.accepted))
            )

    # --- one request --------------------------------------------------------------------------

    def _send(self, sender: Sender, request: Request) -> Sent:
        server = self.server
        mark = server.log.mark()
        answer = sender.send(request)
        sent = Sent(request, answer)
        part = self.part
        route = request.route
        self.tally.count(part, "requests")
        bucket = f"{answer.status // 100}xx" if answer.status else (answer.error or "no answer")
        self.tally.count(f"{part} by route", f"{route} | {bucket}")
        if answer.hang:
            self.tally.fail(
                kinds.HANG, route, "no answer in time", "timed out", shown(request, answer)
            )
        if answer.status >= 500 or (answer.status == 0 and not answer.hang):
            # A 5xx, an answer cut off half-way, or a connection dropped without one.
            log = server.log.since(mark, wait=2.0)
            signature, trace = crash_signature(log, answer)
            reproduction = f"{shown(request, answer)}\nserver log:\n{trace}"
            if self.tally.fail(kinds.SERVER_ERROR, route, signature, signature, reproduction):
                self.to_minimise.append(
                    Pending(kinds.SERVER_ERROR, signature, sent, [], len(self.accepted))
                )
        self._access(request, answer)
        if not server.alive():
            status = server.exit_status()
            log = server.log.since(mark)
            self.tally.fail(
                kinds.SERVER_DIED, route, f"exit {status}", f"the server exited ({status})",
                f"{shown(request, answer)}\nserver log:\n{log[-2000:]}",
            )  # fmt: skip
            server.start()  # on the same database: the fuzz goes on
            sender.base = server.address
        return sent

    def _access(self, request: Request, answer: Response) -> None:
        if not 200 <= answer.status < 300 or request.raw is not None:
            return
        route = request.route
        if route in PUBLIC or route.startswith("GET /static"):
            return
        if route.startswith(("GET /v1/", "POST /v1/")):
            if request.kiosk in self.ids.kiosk_tokens and request.kiosk != "door-old":
                return
            who = "a request with no valid kiosk token"
        elif request.who in ("librarian", "spare"):
            return
        elif request.who == "teacher":
            if teacher_may_see(request):
                return
            who = "the class teacher"
        else:
            who = "a visitor who is not signed in"
        self.tally.fail(
            kinds.ACCESS, route, f"{who} answered {answer.status}",
            f"{who} got {answer.status}", shown(request, answer),
        )  # fmt: skip

    # --- a burst of sign-ins ------------------------------------------------------------------

    def _storm(self, size: int) -> None:
        """``size`` wrong passwords for one account from one address, all at once: the delay
        after FREE_FAILURES failures must hold, and nothing may answer 5xx."""
        base = self.server.address
        address, name = "10.99.99.99", "storm-victim"
        gate = threading.Barrier(size)
        statuses: list[int] = []
        lock = threading.Lock()
        mark = self.server.log.mark()

        def guess() -> None:
            gate.wait()
            status, _ = sign_in(base, name, "wrong guess", address=address)
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=guess) for _ in range(size)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        after, _ = sign_in(base, name, "one more guess", address=address)
        statuses.append(after)
        route = "POST /signin"
        self.tally.count(self.part, "requests", len(statuses))
        for status in statuses:
            self.tally.count(f"{self.part} by route", f"{route} | {status // 100}xx")
        checked = statuses.count(401)
        summary = f"{size} parallel wrong passwords, then one more: " + ", ".join(
            f"{statuses.count(s)}× {s}" for s in sorted(set(statuses))
        )
        self.tally.count(self.part, "sign-in burst: passwords checked", checked)
        if any(s >= 500 for s in statuses):
            signature, trace = crash_signature(
                self.server.log.since(mark, wait=2.0), Response(500, 0)
            )
            self.tally.fail(
                kinds.SERVER_ERROR, route, signature, summary, f"{summary}\nserver log:\n{trace}"
            )
        if checked > FREE_FAILURES + 1:
            self.tally.fail(
                kinds.INVARIANT, route, "sign-in delay skipped in a burst",
                f"{checked} of {size + 1} guesses had their password checked", summary,
            )  # fmt: skip

    # --- reproductions ------------------------------------------------------------------------

    def _minimise_all(self) -> None:
        deadline = time.monotonic() + self.minimise_seconds
        for item in self.to_minimise:
            if time.monotonic() > deadline:
                break
            if item.kind == kinds.SERVER_ERROR:
                found = self._minimise_error(item, deadline)
            else:
                found = self._pin_change(item.batch, deadline)
            if found:
                self.tally.improve(item.kind, item.signature, found)

    def _replay(
        self, requests: list[Request], check: Callable[[FuzzServer, Sender], str | None]
    ) -> str | None:
        server = self.server
        server.reset_to_baseline()
        server.start()
        try:
            ids = Identities(kiosk_tokens=dict(server.school.tokens))
            for who, name in (("librarian", LIBRARIAN), ("teacher", TEACHER)):
                ids.sessions[who] = sign_in(server.address, name, PASSWORD)[1] or ""
            ids.spares = [ids.sessions["teacher"]]
            sender = Sender(server.address, ids)
            for request in requests:
                sender.send(request)
            return check(server, sender)
        finally:
            server.stop()
            server.dispose()

    def _minimise_error(self, item: Pending, deadline: float) -> str | None:
        """The failing request alone on the school as prepared; else the fewest of the requests
        the server acted on before it that still make it fail (halving, recent half first)."""
        request, signature = item.sent.request, item.signature

        def again(server: FuzzServer, sender: Sender) -> str | None:
            mark = server.log.mark()
            answer = sender.send(request)
            if answer.status < 500 and (answer.status != 0 or answer.hang):
                return None
            found, trace = crash_signature(server.log.since(mark, wait=2.0), answer)
            return trace if found == signature else None

        failing = shown(request, item.sent.answer)
        trace = self._replay([], again)
        if trace is not None:
            return (
                f"on the school as prepared, this request alone:\n{failing}\nserver log:\n{trace}"
            )
        candidates = self.accepted[: item.accepted_before][-64:]
        if not candidates or time.monotonic() > deadline:
            return None
        trace = self._replay([c.request for c in candidates], again)
        while trace is not None and len(candidates) > 1 and time.monotonic() < deadline:
            half = len(candidates) // 2
            for part in (candidates[half:], candidates[:half]):
                found = self._replay([c.request for c in part], again)
                if found is not None:
                    candidates, trace = part, found
                    break
            else:
                break
        if trace is None:
            return None
        before = "\n".join(shown(c.request, c.answer) for c in candidates)
        return (
            f"on the school as prepared, after {len(candidates)} request(s) the server acted on:"
            f"\n{before}\nthis request:\n{failing}\nserver log:\n{trace}"
        )

    def _pin_change(self, batch: list[Sent], deadline: float) -> str | None:
        for sent in batch:
            if time.monotonic() > deadline:
                return None

            def changed(
                server: FuzzServer, sender: Sender, request: Request = sent.request
            ) -> str | None:
                before = server.snapshot()
                answer = sender.send(request)
                after = server.snapshot()
                diff = differences(before, after)
                return f"→ {answer.status}\n" + "\n".join(diff) if diff else None

            found = self._replay([], changed)
            if found is not None:
                alone = shown(sent.request)
                return f"on the school as prepared, this request alone:\n{alone}\n{found}"
        return None


__all__ = ["RequestFuzzer", "crash_signature", "refused"]
