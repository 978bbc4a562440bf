"""Spoken answers (语音提示): what the screen answers, said aloud to the youngest readers.

Pure parts: which sentence for which answer (``lines``, ``hearing``), bursts merged
(``bursts``), whom to speak to (``settings``); the queue that drops stale speech (``speaker``);
one adapter per outside thing: espeak-ng (``espeak``), the recorded pack (``pack``). The player
is the app's (kiosk/ui/voice_player.py: Kivy's audio, the one the chimes use). Nothing is
imported here: kiosk/config.py reads ``settings`` without the rest.
"""
