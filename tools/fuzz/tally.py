"""What a fuzz run counts, and the failures it keeps: one per distinct signature, with the
smallest reproduction found and how often it was seen."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# The kinds of failure; each is a count in the summary and must be 0 for a run to pass.
CRASH = "crash"  # an exception escaped the code under test
HANG = "hang"  # longer than the bound (2 s a scan, the timeout a request)
CHANGE = "unintended change"  # something a refusal must leave alone was changed
INVARIANT = "broken invariant"  # a decision, journal or answer not as promised
SERVER_ERROR = "server error"  # a 5xx answer
SERVER_DIED = "server died"  # the server process exited
ACCESS = "access"  # a page answered someone who must not see it
KINDS = (CRASH, HANG, CHANGE, INVARIANT, SERVER_ERROR, SERVER_DIED, ACCESS)


@dataclass
class Failure:
    kind: str
    signature: str  # two failures with one signature are one bug seen twice
    summary: str  # one line
    reproduction: str  # what to run or send to see it again, and what came back
    places: list[str]  # what was fuzzed when it was seen: "door", "GET /events", …
    seen: int = 1


@dataclass
class Tally:
    """Counts per (part, what) and the failures; one Tally per run, shared by both halves."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    failures: dict[tuple[str, str], Failure] = field(default_factory=dict)
    kinds: Counter[str] = field(default_factory=Counter)

    def count(self, part: str, what: str, n: int = 1) -> None:
        self.counts[(part, what)] += n

    def fail(self, kind: str, where: str, signature: str, summary: str, reproduction: str) -> bool:
        """Record a failure; True the first time its signature is seen (worth minimising).

        One cause seen on several routes (a bad date breaking every page that shows it) is
        one failure with several places.
        """
        self.kinds[kind] += 1
        known = self.failures.get((kind, signature))
        if known is not None:
            known.seen += 1
            if where not in known.places:
                known.places.append(where)
            return False
        self.failures[(kind, signature)] = Failure(kind, signature, summary, reproduction, [where])
        return True

    def improve(self, kind: str, signature: str, reproduction: str) -> None:
        """Replace a failure's reproduction with a smaller one found later."""
        self.failures[(kind, signature)].reproduction = reproduction

    def total(self, part: str, what: str) -> int:
        return self.counts[(part, what)]

    def part(self, part: str) -> dict[str, int]:
        return {what: n for (p, what), n in sorted(self.counts.items()) if p == part}

    @property
    def passed(self) -> bool:
        return not self.failures
