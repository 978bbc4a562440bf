#!/usr/bin/env bash
# Mutation testing, run by hand (it takes an hour or more on 2 cores, so it is not in
# deploy/test.sh): mutmut makes one small change at a time to kiosk/core, kiosk/store and
# kiosk/door.py and runs the tests that cover it. A change no test notices ("survived") is a
# test we are missing, or a change that makes no difference a user could see: kill it with a
# test, or say why. Configuration: [tool.mutmut] in pyproject.toml.
#
#   deploy/mutation.sh                 run the pass (resumes where it stopped), then the figures
#   deploy/mutation.sh --fresh         forget earlier results first (after changing product code)
#   deploy/mutation.sh 'kiosk.door.*'  test again only the mutants named (globs), e.g. after
#                                      adding a test; then the figures
#   deploy/mutation.sh --report        only the figures and the list of survivors
#
# Then `.venv/bin/mutmut show NAME` (from the checkout) shows one mutant's change, and
# `.venv/bin/mutmut browse` all of them. MUTATION_JOBS sets how many run at once (default:
# the number of cores).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
# What deploy/test.sh needs too: the durability tests watch fsync with strace.
apt_need gcc python3-dev linux-libc-dev strace util-linux
ensure_venv dev
cd "$ROOT"

fresh=0 report_only=0 names=()
for arg in "$@"; do
  case $arg in
    --fresh) fresh=1 ;;
    --report) report_only=1 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) say "unknown option $arg (see --help)"; exit 2 ;;
    *) names+=("$arg") ;;
  esac
done

if [ "$report_only" -eq 0 ]; then
  [ "$fresh" -eq 1 ] && rm -rf "$ROOT/mutants"
  # The tests read the school's example files from ../shared beside the checkout; run from
  # mutants/ that is the checkout itself, so point it at the real one (gitignored).
  if [ ! -e "$ROOT/shared" ] && [ -d "$ROOT/../shared" ]; then
    ln -s ../shared "$ROOT/shared"
  fi
  # Processes the tests start (the `kiosk` command, the migration children, the benchmarks)
  # import the mutated copy too, and mutmut's MUTANT_UNDER_TEST reaches them. The folder must
  # exist before Python starts: a sys.path entry missing at the first import stays dead.
  mkdir -p "$ROOT/mutants"
  export PYTHONPATH="$ROOT/mutants"
  jobs=${MUTATION_JOBS:-$(nproc 2>/dev/null || echo 2)}
  say "mutmut run on $jobs processes (kiosk/core, kiosk/store, kiosk/door.py)"
  # mutmut exits 0 whatever survived: the figures below are the result.
  "$VENV/bin/mutmut" run --max-children "$jobs" ${names[@]+"${names[@]}"}
fi
"$VENV/bin/python" "$ROOT/deploy/mutation_report.py"
