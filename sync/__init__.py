"""Everything between kiosks and the centre: the wire protocol, the kiosk-side sync worker and the
central server (``sync/server``). Imports no Kivy and nothing from ``hardware``."""
