"""The old name of sync.server.school_data, kept only until its last importers are renamed."""

from sync.server.school_data import ImportRefusedError as ImportRefusedError
from sync.server.school_data import import_copies as import_copies
from sync.server.school_data import import_readers as import_readers
from sync.server.school_data import save_policy as save_policy
