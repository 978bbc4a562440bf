#!/usr/bin/env bash
# Mutation testing, run by hand (it takes an hour or more on 2 cores, so it is not in
# deploy/test.sh): mutmut makes one small change at a time to kiosk/core, kiosk/store and
# kiosk/door.py and runs the tests that reach it. A change no test notices ("survived") is a
# test we are missing, or a change that makes no difference a user could see: kill it with a
# test, or say why. How the two rounds work: deploy/mutation.py. Configuration: [tool.mutmut]
# and [tool.kiosk-mutation] in pyproject.toml. Results stay in var/mutation/.
#
#   deploy/mutation.sh                 run the pass on HEAD (resumes where it stopped), then
#                                      the figures and the list of survivors
#   deploy/mutation.sh --fresh         forget earlier results first
#   deploy/mutation.sh --rev COMMIT    the code and tests of another commit (default HEAD)
#   deploy/mutation.sh --survivors [NAMES]  test the survivors (matching NAMES) again, after
#                                      committing new tests
#   deploy/mutation.sh 'kiosk.door.*'  test again only the mutants named (globs)
#   deploy/mutation.sh --second        only the second round (the store guards, for the
#                                      store's and the door's survivors of the first)
#   deploy/mutation.sh --report        only the figures and the list of survivors
#
# Then `cd var/mutation/first && ../../../.venv/bin/mutmut show NAME` shows one mutant's change.
# MUTATION_JOBS sets how many mutants run at once (default: the number of cores).
set -euo pipefail
case ${1:-} in
  -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
# shellcheck source=deploy/_bootstrap.sh
. "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
# What deploy/test.sh needs too: the durability tests watch fsync with strace.
apt_need gcc python3-dev linux-libc-dev strace util-linux
ensure_venv dev
exec "$VENV/bin/python" "$ROOT/deploy/mutation.py" --jobs "${MUTATION_JOBS:-$(nproc 2>/dev/null || echo 2)}" "$@"
