"""The touchscreen: the only package that imports Kivy (and only in its Kivy modules).

The pure half (``views``, ``presenters``, ``board``, ``front_desk``, ``door_thread``) turns the
door's decisions into plain values and runs without Kivy; the Kivy half (``app``, ``screens``,
``script``) only shows those values. See docs/ui.md.
"""
