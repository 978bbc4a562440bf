"""The kiosk's five text sizes (and three picture sizes), in sp/dp.

Few sizes on purpose: SDL_ttf opens the CJK font once per size, and each opened size of Noto
Sans CJK costs about 2.7 MB of resident memory; a type scale also keeps the screens calm.
Import after Kivy's metrics are set (kiosk.ui.kivy_setup).
"""

from __future__ import annotations

from kivy.metrics import dp, sp

XS = sp(17)  # notes, small lists
S = sp(20)  # body text
M = sp(24)  # sentences, buttons, headings
L = sp(30)  # titles, the big buttons
XL = sp(54)  # the one thing to read first

PICTURE_SMALL = dp(32)
PICTURE = dp(128)
PICTURE_BIG = dp(160)
