"""The touchscreen: the only package that imports Kivy, and only in its Kivy modules.

``views`` and ``presenters`` turn what the desk (``kiosk.desk``) says into what a screen shows,
without Kivy; the Kivy half (``app``, ``screens``, ``script``) only shows those values. Nothing
here reads the store or drives the door. See docs/ui.md.
"""
