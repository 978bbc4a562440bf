"""The touchscreen app's speed and memory, driven through the running app under Xvfb.

Three figures, each beside the floor it is compared with, measured in the same run:

- scan -> the frame that shows its answer (median, p99), beside the engine alone (scan ->
  committed decision, the loop of bench_scan.py on the same school). Target: p99 <= 50 ms.
- start -> the first screen drawn (the idle screen). Target: <= 3 s.
- resident memory after many sessions with the 20,000-copy school, and its growth over the
  last half. Target: <= 150 MB, growth <= 10 MB.

    .venv/bin/python bench/bench_ui.py                        # 1,000 scans, 10,000 sessions
    .venv/bin/python bench/bench_ui.py --scans 200 --sessions 500
    .venv/bin/python bench/bench_ui.py --voice                # and the scans again, spoken

With ``--voice`` the scans are played again on copies of the same school, with the voice off
and on in turn (twice each; on for everyone, teachers too: the bench's readers are teachers),
real espeak-ng making every sentence and SDL's dummy audio output: scan -> the first sound of
its answer's speech (p99; target < 300 ms), and the drawn-answer p99 with the voice on beside
the runs with it off (target: within 10%).

The app runs as `kiosk run --script` (one subprocess per part, as in the tests): the scan part
at the product's 60 frames a second, the memory part with no frame limit so that 10,000
sessions take minutes, not hours.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scan import build_school, pct
from figures import Figure, write

from kiosk.clocks import ScriptedClock
from kiosk.core.session import Button
from kiosk.door import Door

KIOSK = Path(sys.executable).with_name("kiosk")
ZONE = ZoneInfo("Asia/Shanghai")
AT = "2026-11-23T12:15"


def teachers(readers: int) -> list[str]:
    return [f"T{n:04d}" for n in range(max(1, readers // 20))]


def visits(readers: int, copies: int, count: int, seed: int) -> list[str]:
    """``count`` scans (and the Done presses between them): a teacher's card, a book, Done;
    and returns in between."""
    rng = random.Random(seed)
    shelf = [f"{n:07d}" for n in range(copies // 2, copies)]
    rng.shuffle(shelf)
    cards = teachers(readers)
    lent: list[str] = []
    codes: list[str] = []
    while sum(code != "@done" for code in codes) < count:
        codes.append(rng.choice(cards))
        lent.append(shelf.pop())
        codes += [lent[-1], "@done"]
        if len(lent) > 3:
            codes.append(lent.pop(0))  # a return, no card
    while codes[-1] == "@done" or sum(code != "@done" for code in codes) > count:
        codes.pop()
    return codes


def engine_only(db: Path, codes: list[str]) -> list[float]:
    """The floor: the same scans straight into a Door in this process (bench_scan's figure)."""
    from kiosk.store import Store

    store = Store(db)
    clock = ScriptedClock(datetime.fromisoformat(AT).replace(tzinfo=ZONE))
    door = Door(store, clock)
    times = []
    for code in codes:
        clock.advance(2)
        t0 = time.perf_counter()
        if code == "@done":
            door.press(Button.DONE)
        else:
            door.scan(code)
        times.append(time.perf_counter() - t0)
    store.close()  # ends the door's lock: the app opens the copy next
    return times


def script(codes: list[str]) -> str:
    return "".join(f"{2 * (i + 1)} {code}\n" for i, code in enumerate(codes))


def run_app(
    db: Path, text: str, folder: Path, *, max_fps: int, config: Path | None = None
) -> tuple[list[dict], float]:
    path = folder / "bench.script"
    path.write_text("0 @wait\n" + text, encoding="utf-8")
    timings = folder / "timings.jsonl"
    command = [
        "xvfb-run", "-a", "-s", "-screen 0 800x480x24",
        str(KIOSK), "run", "--db", str(db), "--script", str(path), "--timings", str(timings),
        "--at", AT, "--size", "800x480", "--max-fps", str(max_fps),
        *(["--config", str(config)] if config is not None else []),
    ]  # fmt: skip
    started = time.monotonic()
    env = {**os.environ, "SDL_AUDIODRIVER": os.environ.get("SDL_AUDIODRIVER", "dummy")}
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        sys.exit(f"the app failed ({result.returncode}):\n{result.stderr[-3000:]}")
    lines = [json.loads(line) for line in timings.read_text().splitlines() if line.strip()]
    return lines, started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--readers", type=int, default=2000)
    parser.add_argument("--copies", type=int, default=20000)
    parser.add_argument("--events", type=int, default=20000, help="past journal events")
    parser.add_argument("--scans", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=10000)
    parser.add_argument("--figures", type=Path, help="also write the figures here (JSON lines)")
    parser.add_argument("--voice", action="store_true", help="the scans again, spoken")
    args = parser.parse_args()
    if shutil.which("xvfb-run") is None:
        sys.exit("bench_ui needs xvfb-run (Debian's xvfb package; deploy/test.sh installs it)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        build_school(folder / "school.db", args.readers, args.copies, args.events).close()
        built = time.perf_counter() - t0
        codes = visits(args.readers, args.copies, args.scans, seed=3)
        shutil.copy(folder / "school.db", folder / "engine.db")
        engine = engine_only(folder / "engine.db", codes)
        shutil.copy(folder / "school.db", folder / "voice.db")

        lines, started = run_app(folder / "school.db", script(codes), folder, max_fps=60)
        first = next(line["first_screen_mono"] for line in lines if "first_screen_mono" in line)
        frames = [line["frame_ms"] / 1000 for line in lines[2:] if line.get("action") == "scan"]
        spoken = speech(folder, codes) if args.voice and shutil.which("espeak-ng") else None
        if args.voice and spoken is None:
            print("voice: not measured here (no espeak-ng: apt-get install espeak-ng)")

        cards = teachers(args.readers)
        sessions = [c for i in range(args.sessions) for c in (cards[i % len(cards)], "@done")]
        soak, _ = run_app(folder / "school.db", script(sessions), folder, max_fps=0)
        rss = [line["rss_kb"] / 1024 for line in soak if "rss_kb" in line]
        gl = next(line["software_gl_kb"] / 1024 for line in soak if "software_gl_kb" in line)
    report(args, built, engine, frames, first - started, rss, gl)
    if spoken is not None:
        report_voice(args, *spoken)


ROUNDS = 2  # voice off, voice on, off, on: a build machine's load changes from minute to minute


def speech(folder: Path, codes: list[str]) -> tuple[list[float], list[float], list[float]]:
    """The same scans on copies of the school, the voice off and on in turn: (drawn-answer
    times with it off, with it on, scan -> first sound times), in seconds."""
    voice = folder / "voice.toml"
    voice.write_text(
        '[voice]\nenabled = true\ngrades = [1, 2, 3, 4, 5, 6, 7, 8, 9, "teachers"]\n',
        encoding="utf-8",
    )
    quiet, frames, sounds = [], [], []
    for _ in range(ROUNDS):
        for config in (None, voice):
            shutil.copy(folder / "voice.db", folder / "round.db")
            lines, _ = run_app(folder / "round.db", script(codes), folder, max_fps=60,
                               config=config)  # fmt: skip
            scans = [line for line in lines[2:] if line.get("action") == "scan"]
            (frames if config else quiet).extend(line["frame_ms"] / 1000 for line in scans)
            if config:
                sounds += [line["voice_ms"] / 1000 for line in scans if line.get("voice_ms")]
    if not sounds:
        sys.exit("the voice said nothing: is espeak-ng installed (Debian's espeak-ng)?")
    return quiet, frames, sounds


def report_voice(
    args: argparse.Namespace, quiet: list[float], frames: list[float], sounds: list[float]
) -> None:
    ms = 1000.0
    q_p99, f_p99 = pct(quiet, 99) * ms, pct(frames, 99) * ms
    s_med, s_p99 = statistics.median(sounds) * ms, pct(sounds, 99) * ms
    slower = f_p99 / q_p99 - 1
    ok_sound, ok_frame = s_p99 < 300, slower <= 0.10
    print(
        f"voice off and on in turn, {ROUNDS} rounds ({len(sounds)} of {len(frames)} scans "
        "spoken, espeak-ng):"
    )
    print(f"{'scan -> first sound of speech':36} {s_med:8.2f}ms {s_p99:8.2f}ms")
    print(f"{'scan -> frame, voice on':36} {'':9} {f_p99:8.2f}ms  (off: {q_p99:.2f} ms, "
          f"{slower:+.0%})")  # fmt: skip
    print(
        f"target: first sound p99 < 300 ms -> {'met' if ok_sound else 'NOT met'}; "
        f"drawn answer p99 within 10% of no voice -> {'met' if ok_frame else 'NOT met'}"
    )
    write(
        args.figures,
        [
            Figure("bench_ui", "scan -> first sound of speech (espeak-ng, SDL dummy audio), p99",
                   s_p99, "ms", target="< 300 ms", met=ok_sound),
            Figure("bench_ui", "scan -> frame showing its answer with the voice on, p99", f_p99,
                   "ms", q_p99, "the same scans, voice off", "within 10%", ok_frame),
        ],
    )  # fmt: skip


def report(
    args: argparse.Namespace,
    built: float,
    engine: list[float],
    frames: list[float],
    start: float,
    rss: list[float],
    gl: float,
) -> None:
    ms = 1000.0
    f_med, f_p99 = statistics.median(frames) * ms, pct(frames, 99) * ms
    e_med, e_p99 = statistics.median(engine) * ms, pct(engine, 99) * ms
    half = rss[len(rss) // 2] if rss else 0.0
    final = rss[-1] if rss else 0.0
    print(
        f"school: {args.readers} readers, {args.copies} copies, {args.events} past events "
        f"(built in {built:.1f} s); window 800x480 under Xvfb"
    )
    print(f"scans through the app: {len(frames)}; sessions for memory: {args.sessions}")
    print(f"{'':36} {'median':>9} {'p99':>9}")
    print(f"{'scan -> frame showing its answer':36} {f_med:8.2f}ms {f_p99:8.2f}ms")
    print(f"{'floor: engine only (bench_scan loop)':36} {e_med:8.2f}ms {e_p99:8.2f}ms")
    print(f"{'ratio app / engine':36} {f_med / e_med:8.1f}x  {f_p99 / e_p99:8.1f}x")
    print(f"{'start -> first screen drawn':36} {start:8.2f}s")
    print(
        f"{'resident memory after the sessions':36} {final:8.1f}MB  "
        f"(growth over the last half: {final - half:+.1f} MB)"
    )
    print(
        f"{'  of it Mesa llvmpipe (not on a Pi)':36} {gl:8.1f}MB  -> without it {final - gl:.1f} MB"
    )
    ok_frame, ok_start = f_p99 <= 50, start <= 3
    ok_memory = final <= 150 and final - half <= 10
    ok_memory_pi = final - gl <= 150 and final - half <= 10
    print(
        f"target: p99 <= 50 ms -> {'met' if ok_frame else 'NOT met'}; "
        f"start <= 3 s -> {'met' if ok_start else 'NOT met'}; "
        f"memory <= 150 MB, growth <= 10 MB -> {'met' if ok_memory else 'NOT met'} "
        f"({'met' if ok_memory_pi else 'NOT met'} without llvmpipe)"
    )
    engine_floor = "engine alone, same scans"
    write(
        args.figures,
        [
            Figure("bench_ui", "scan -> frame showing its answer (Xvfb, llvmpipe), median", f_med,
                   "ms", e_med, engine_floor),
            Figure("bench_ui", "scan -> frame showing its answer (Xvfb, llvmpipe), p99", f_p99,
                   "ms", e_p99, engine_floor, "p99 <= 50 ms", ok_frame),
            Figure("bench_ui", "start -> first screen drawn", start, "s", target="<= 3 s",
                   met=ok_start),
            Figure("bench_ui", f"resident memory after {args.sessions:,} sessions (growth over "
                   f"the last half {final - half:+.1f} MB)", final, "MB",
                   target="<= 150 MB, growth <= 10 MB", met=ok_memory),
            Figure("bench_ui", "the same without Mesa's llvmpipe (a Pi draws on its GPU)",
                   final - gl, "MB", target="<= 150 MB, growth <= 10 MB", met=ok_memory_pi),
        ],
    )  # fmt: skip


if __name__ == "__main__":
    main()
