"""The screens: one ``.kv`` (layout) and one ``.py`` (showing a view) for each."""
