"""`python -m tools.chaos`: a simulated school week on this machine, under fire (docs/chaos.md).

The real server, three kiosks with their sync workers and a crowd of pupils and teachers, while
processes are killed, the network is cut, kiosk clocks are stepped as a Pi's without a real-time
clock are, and a kiosk and the server are restored from backups; then it checks that every
decision shown at a door reached the server once and unchanged and that everyone agrees.
"""
