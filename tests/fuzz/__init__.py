"""The fuzzer's own tests: its short run (what CI runs) and the checks it relies on."""
