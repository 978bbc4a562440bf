"""Makes the kiosk's three sounds (kiosk/ui/sounds/*.wav) from sine tones: the project's own work,
shipped under the project's licence. Run again after changing a tone:

    python tools/make_sounds.py
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22_050
OUT = Path(__file__).resolve().parents[1] / "kiosk" / "ui" / "sounds"

# (frequency in Hz, seconds) notes; 0 Hz is a pause. Soft attack and decay: nothing harsh.
TUNES = {
    "success": [(784, 0.11), (1047, 0.22)],  # G5 then C6: a bright "ding-ding"
    "refusal": [(523, 0.14), (440, 0.22)],  # C5 then A4: gentle, falling, not a buzzer
    "attention": [(880, 0.12), (0, 0.08), (880, 0.12), (0, 0.08), (880, 0.12)],
}


def samples(freq: float, seconds: float) -> list[int]:
    count = int(RATE * seconds)
    out = []
    for i in range(count):
        t = i / RATE
        envelope = min(1.0, t / 0.01) * math.exp(-3.0 * t / seconds)
        value = math.sin(2 * math.pi * freq * t) + 0.3 * math.sin(4 * math.pi * freq * t)
        out.append(int(12_000 * envelope * value / 1.3) if freq else 0)
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, notes in TUNES.items():
        frames = [s for freq, seconds in notes for s in samples(freq, seconds)]
        with wave.open(str(OUT / f"{name}.wav"), "wb") as f:
            f.setnchannels(1)
            f.setsampwidth(2)
            f.setframerate(RATE)
            f.writeframes(struct.pack(f"<{len(frames)}h", *frames))
        print(OUT / f"{name}.wav")


if __name__ == "__main__":
    main()
