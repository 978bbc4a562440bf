"""The touchscreen's application layer, without Kivy: the door's thread, a child's visit, the
grown-ups' screens (PIN, modes, admin, helper), scanner faults and the idle board.

It uses the door and the store and says what each screen shows as facts (``facts``); the Kivy
app in ``kiosk.ui`` turns them into words and pictures. See docs/ui.md.
"""
