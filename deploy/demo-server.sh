#!/usr/bin/env bash
# The central server with the sample school, and a sync worker for a kiosk's database:
#   deploy/demo-server.sh KIOSK_DB
# Imports kiosk/sample into a new server database, registers the kiosk, starts `kiosk-server
# serve` on 127.0.0.1 and prints its address, syncs the kiosk once (its journal goes up, the
# school comes down), then keeps the server and a `kiosk sync run` worker going until Ctrl-C
# (when run from a terminal; otherwise it stops them and exits).
set -euo pipefail
# shellcheck source=deploy/_bootstrap.sh
. "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
ensure_venv "server"
kiosk_db=${1:?usage: deploy/demo-server.sh KIOSK_DB}
[ -f "$kiosk_db" ] || { say "$kiosk_db: no kiosk database (run \`kiosk demo --db $kiosk_db\` first)"; exit 1; }

work=$(mktemp -d -t kiosk-server-demo-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

db="sqlite:///$work/server.db"
server="$VENV/bin/kiosk-server"
"$server" migrate --db "$db" >/dev/null
"$server" import policy "$ROOT/kiosk/sample/policy.toml" --db "$db" >/dev/null
"$server" import roster "$ROOT/kiosk/sample/roster.csv" --db "$db" >/dev/null
"$server" import catalog "$ROOT/kiosk/sample/catalog.csv" --db "$db" >/dev/null
kiosk_id=$("$VENV/bin/python" -c 'import sys; from pathlib import Path; from kiosk.store import Store
with Store(Path(sys.argv[1]), read_only=True) as s: print(s.kiosk_id)' "$kiosk_db")
"$server" add-kiosk "$kiosk_id" --db "$db" >"$work/$kiosk_id.token" 2>/dev/null

"$server" serve --db "$db" --port 0 >"$work/serve.out" 2>"$work/serve.err" &
pids+=($!)
# The server prints its address once it listens; wait for that line (or for it to fail).
until grep -q serving "$work/serve.out" 2>/dev/null; do
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/serve.err" >&2; exit 1; }
  sleep 0.1
done
url=$(awk '{print $3; exit}' "$work/serve.out")
printf '\n中心服务器 / central server: %s  (%s)\n' "$url" "$db"

sync=("$VENV/bin/kiosk" sync --db "$kiosk_db" --server "$url" --token-file "$work/$kiosk_id.token")
"${sync[@]}" once
printf '服务器上的日志 / events on the server: %s\n' "$("$server" export events --db "$db" | wc -l)"
printf '待审核 / review inbox:\n'
"$server" review --db "$db"

if [ -t 0 ]; then
  "${sync[@]}" run 2>"$work/worker.log" &
  pids+=($!)
  printf '\n同步进程每分钟同步一次；按 Ctrl-C 停止。/ The sync worker runs every minute; Ctrl-C stops.\n'
  printf '  curl %s/v1/health\n' "$url"
  wait "${pids[0]}"
fi
