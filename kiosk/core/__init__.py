"""Pure circulation rules and the session engine: standard library only, no I/O."""
