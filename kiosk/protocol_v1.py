"""The facts of sync protocol v1 the kiosk needs outside the sync package.

`kiosk doctor` checks the kiosk's token on the server, kiosk.toml's ``[sync] batch_events`` is
bounded by what one push may carry, and the one HTTPS client (kiosk/server_client.py) sends and
reads JSON no larger than protocol v1's bound. All are read without pydantic, which the sync extra
brings and `kiosk doctor` and `kiosk run` do without; the kiosk imports ``sync`` only in its
composition root (kiosk/commands). sync/limits.py names them for the sync package, so both ends
read this one definition; the rest of the protocol is sync/protocol.py.
"""

from __future__ import annotations

from typing import Final

MAX_PUSH_EVENTS: Final = 500  # events in one push
MAX_BODY_BYTES: Final = 1_000_000  # the largest request or answer
CONTENT_TYPE: Final = "application/json"
# A kiosk's token checked and nothing else: 200 with the kiosk's name, or 401.
WHOAMI_PATH: Final = "/v1/whoami"
