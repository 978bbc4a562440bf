#!/usr/bin/env bash
# Installs (or upgrades) the central server on a Debian server: the kiosks' sync API and the
# librarian's pages, kept running by systemd. Idempotent: a second run changes nothing.
# See deploy/README.md.
set -Eeuo pipefail

PROG=install-server.sh
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=deploy/_install.sh
. "$SRC/deploy/_install.sh"

APP=library-server
USER_NAME=library-server
OPT=/opt/$APP
ETC=/etc/$APP
DATA=/var/lib/$APP
UNIT=library-server.service
PENDING=$OPT/state/restart-pending   # what a change still owes (see after_change)
PG_DATABASE=library      # with --postgres: this database, owned by the role $USER_NAME
RELEASE_FILES=(
  systemd/library-server.service:share/systemd/library-server.service
  deploy/README.md:share/doc/README.md
)
# name:mode:group of each file in $ETC, for laying them down and for restoring them.
ETC_FILES=("server.env:640:$USER_NAME" tls/server.crt:644:root "tls/server.key:640:$USER_NAME"
  tls/ca.crt:644:root tls/ca.key:600:root)

usage() {
  cat <<EOF
usage: $PROG [--postgres] [--host ADDRESS] [--port PORT] [--name HOST]...
             [--tls-cert FILE --tls-key FILE] [--librarian NAME] [--wheelhouse DIR] [--root DIR]
       $PROG --rollback [--root DIR]
       $PROG --uninstall [--root DIR]

Installs (or upgrades to) the server in this checkout: Debian packages, the $USER_NAME user, a
release under $OPT, $ETC/server.env (made once, never overwritten), data in $DATA, and
$UNIT enabled and started.

  --postgres         a local PostgreSQL database '$PG_DATABASE' and role '$USER_NAME' (default: SQLite
                     in $DATA/server.db)
  --host ADDRESS     the address to listen on (default 0.0.0.0: every interface)
  --port PORT        the port (default 8443)
  --tls-cert FILE    the server's certificate (PEM, with its chain) ...
  --tls-key FILE     ... and its private key; both are copied to $ETC/tls/
  --name HOST        without --tls-cert: make a school CA and a certificate for HOST (repeatable;
                     default: this machine's host name and HOSTNAME.local); kiosks get $ETC/tls/ca.crt
  --librarian NAME   create the first librarian account (asks for the password twice)
  --wheelhouse DIR   install offline, from wheels built with deploy/wheelhouse.sh
  --root DIR         lay everything under DIR and run nothing that needs the booted system
  --rollback         return to the release before the last upgrade
  --uninstall        remove everything but the data in $DATA (and the PostgreSQL database)
EOF
}

ACTION=install POSTGRES=0 HOST=0.0.0.0 PORT=8443 TLS_CERT="" TLS_KEY="" LIBRARIAN="" NAMES=()
while [ $# -gt 0 ]; do
  case $1 in
    --postgres) POSTGRES=1 ;;
    --host) HOST=${2:?--host needs an address}; shift ;;
    --port) PORT=${2:?--port needs a number}; shift ;;
    --name) NAMES+=("${2:?--name needs a host name}"); shift ;;
    --tls-cert) TLS_CERT=${2:?--tls-cert needs a file}; shift ;;
    --tls-key) TLS_KEY=${2:?--tls-key needs a file}; shift ;;
    --librarian) LIBRARIAN=${2:?--librarian needs a name}; shift ;;
    --wheelhouse) use_wheelhouse "${2:?--wheelhouse needs a directory}"; shift ;;
    --root) set_root "${2:?--root needs a directory}"; shift ;;
    --rollback) ACTION=rollback ;;
    --uninstall) ACTION=uninstall ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; fail "unknown argument: $1" ;;
  esac
  shift
done

check_arguments() {
  local name
  if ! [[ $PORT =~ ^[0-9]{4,5}$ ]] || [ "$PORT" -lt 1024 ] || [ "$PORT" -gt 65535 ]; then
    fail "--port $PORT: use a port from 1024 to 65535 (for 443, see deploy/README.md, \"Port 443\")"
  fi
  if [ -n "$TLS_CERT$TLS_KEY" ]; then
    if [ -z "$TLS_CERT" ] || [ -z "$TLS_KEY" ]; then fail "--tls-cert and --tls-key go together"; fi
    grep -q -- '-----BEGIN CERTIFICATE-----' "$TLS_CERT" 2>/dev/null ||
      fail "--tls-cert $TLS_CERT: not a PEM certificate (it should contain BEGIN CERTIFICATE)"
    grep -q -- '-----BEGIN .*PRIVATE KEY-----' "$TLS_KEY" 2>/dev/null ||
      fail "--tls-key $TLS_KEY: not a PEM private key (it should contain BEGIN ... PRIVATE KEY)"
  fi
  for name in "${NAMES[@]}"; do
    [[ $name =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] || fail "--name '$name': not a host name"
  done
  if [ -n "$LIBRARIAN" ] && ! [[ $LIBRARIAN =~ ^[[:alnum:]._-]{1,64}$ ]]; then
    fail "--librarian '$LIBRARIAN': use letters, digits, '.', '_' or '-'"
  fi
}

env_value() {  # env_value KEY: a value of the installed server.env
  sed -n "s/^$1=//p" "$(at "$ETC/server.env")" | tail -n 1
}

packages() {
  local wanted=(python3-venv openssl)
  [ "$POSTGRES" = 0 ] || wanted+=(postgresql)
  apt_install server "${wanted[@]}"
}

release() {
  step "building the release in $OPT from $SRC"
  stage_release "$SRC" "${RELEASE_FILES[@]}"
  build_release "$APP" "$SERVER_EXTRAS"
  CHANGED=0
  activate_release "$APP" "$RELEASE_ID"
  after_change "release $RELEASE_ID is current" "$UNIT"
}

system_files() {
  step "installing the service of release $(basename "$(current_release "$APP")")"
  CHANGED=0
  ensure_file 644 root root "$(current_release "$APP")/share/systemd/$UNIT" "/etc/systemd/system/$UNIT"
  after_change "$UNIT changed" daemon-reload "$UNIT"
}

# A school with no certificate of its own gets a CA made here: its certificate is what each
# kiosk trusts (install-kiosk.sh --ca-file), its key never leaves this machine.
make_school_ca() {
  local host name names=() san=""
  host=$(tr -d '[:space:]' <"$(at /etc/hostname)" 2>/dev/null || hostname)
  if [ ${#NAMES[@]} -gt 0 ]; then names=("${NAMES[@]}"); else names=("$host" "$host.local"); fi
  for name in "${names[@]}"; do san="$san${san:+,}DNS:$name"; done
  openssl req -x509 -new -newkey rsa:3072 -nodes -days 3650 -subj "/CN=$host school library CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$WORK/ca.key" -out "$WORK/ca.crt" 2>/dev/null
  openssl req -new -newkey rsa:3072 -nodes -subj "/CN=${names[0]}" \
    -keyout "$WORK/server.key" -out "$WORK/server.csr" 2>/dev/null
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$san" >"$WORK/ext"
  openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" \
    -CAcreateserial -days 825 -extfile "$WORK/ext" -out "$WORK/server.crt" 2>/dev/null
  ensure_file 600 root root "$WORK/ca.key" "$ETC/tls/ca.key"
  ensure_file 644 root root "$WORK/ca.crt" "$ETC/tls/ca.crt"
  TLS_CERT=$WORK/server.crt TLS_KEY=$WORK/server.key
  did "made a school CA and a certificate for ${names[*]}: give kiosks $ETC/tls/ca.crt"
}

configuration() {
  local saved db tls entry name mode group
  step "configuration in $ETC"
  CHANGED=0
  ensure_dir 750 root "$USER_NAME" "$ETC"
  ensure_dir 750 root "$USER_NAME" "$ETC/tls"
  saved=$(at "$DATA/saved-config")
  if [ ! -f "$(at "$ETC/server.env")" ] && [ -d "$saved" ] && [ ! -L "$saved" ] &&
     [ "$(stat -c '%u %a' "$saved")" = "0 700" ]; then
    for entry in "${ETC_FILES[@]}"; do
      IFS=: read -r name mode group <<<"$entry"
      [ ! -f "$saved/$name" ] || ensure_file "$mode" root "$group" "$saved/$name" "$ETC/$name"
    done
    rm -rf "$saved"
    did "restored the configuration that --uninstall saved in $DATA/saved-config"
  fi
  if [ -z "$TLS_CERT" ] && [ ! -f "$(at "$ETC/tls/server.crt")" ]; then make_school_ca; fi
  if [ -n "$TLS_CERT" ]; then
    ensure_file 644 root root "$TLS_CERT" "$ETC/tls/server.crt"
    ensure_file 640 root "$USER_NAME" "$TLS_KEY" "$ETC/tls/server.key"
  fi
  if [ ! -f "$(at "$ETC/server.env")" ]; then
    if [ "$POSTGRES" = 1 ]; then
      # Over the local socket with peer authentication: no password anywhere.
      db="postgresql:///$PG_DATABASE?host=/run/postgresql"
    else
      db="sqlite:///$DATA/server.db"
    fi
    tls="--tls-cert $ETC/tls/server.crt --tls-key $ETC/tls/server.key"
    cat >"$WORK/server.env" <<EOF
# Read by $UNIT (install-server.sh made it once and never overwrites it).
# The database: sqlite:///PATH or postgresql://...
LIBRARY_SERVER_DB=$db
# Where the kiosks and the librarian's browser reach the server.
LIBRARY_SERVER_HOST=$HOST
LIBRARY_SERVER_PORT=$PORT
# The certificate and key (the kiosks verify the certificate against their CA file).
LIBRARY_SERVER_TLS=$tls
EOF
    ensure_file 640 root "$USER_NAME" "$WORK/server.env" "$ETC/server.env"
  elif [ "$POSTGRES" = 1 ] && [[ $(env_value LIBRARY_SERVER_DB) != postgresql:* ]]; then
    did "kept $ETC/server.env (it is never overwritten): set LIBRARY_SERVER_DB there to move to PostgreSQL"
  fi
  after_change "its configuration changed" "$UNIT"
}

data() {
  step "data in $DATA"
  ensure_dir 750 "$USER_NAME" "$USER_NAME" "$DATA"
  if [ -n "$(find "$(at "$DATA")" ! -user "$(uid_of "$USER_NAME")" ! -path "$(at "$DATA")/saved-config*" -print -quit)" ]; then
    chown -R "$(uid_of "$USER_NAME"):$(gid_of "$USER_NAME")" "$(at "$DATA")"
    did "gave the files in $DATA to $USER_NAME"
  fi
}

# The database's schema, and the PostgreSQL role and database with --postgres: only on the
# server itself (under --root there is no PostgreSQL to talk to, and no server to migrate).
database() {
  local db server
  db=$(env_value LIBRARY_SERVER_DB)
  server="$(current_release "$APP")/venv/bin/kiosk-server"
  if [ -n "$ROOT" ]; then
    step "database: not under --root (on the server: kiosk-server migrate --db $db)"
    return 0
  fi
  step "the database: $db"
  [ -x "$server" ] || fail "this release has no kiosk-server command (the central server, issue 8, is not in this checkout)"
  if [[ $db == postgresql:* ]]; then
    systemctl start postgresql.service
    if [ -z "$(runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$USER_NAME'")" ]; then
      runuser -u postgres -- createuser "$USER_NAME"
      did "created the PostgreSQL role $USER_NAME"
    fi
    if [ -z "$(runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'")" ]; then
      runuser -u postgres -- createdb -O "$USER_NAME" "$PG_DATABASE"
      did "created the PostgreSQL database $PG_DATABASE"
    fi
  fi
  run_as "$USER_NAME" "$server" migrate --db "$db" | sed 's/^/    /'
}

# A run that changed nothing restarts nothing: the kiosks' pushes and the librarian's pages
# carry on. What an earlier run stopped by a failure still owed is done now.
services() {
  step "enabling and starting the server; restarting it only if something changed"
  enable_unit "$UNIT"
  apply_changes
  if booted && ! systemctl is-active --quiet "$UNIT"; then
    systemctl start "$UNIT"; did "started $UNIT"
  fi
}

librarian() {
  [ -n "$LIBRARIAN" ] || return 0
  if [ -n "$ROOT" ]; then
    step "librarian $LIBRARIAN: not under --root (on the server: kiosk-server add-librarian $LIBRARIAN)"
    return 0
  fi
  step "creating the librarian account $LIBRARIAN"
  [ -t 0 ] || fail "--librarian asks for the password on the terminal: run me from one"
  run_as "$USER_NAME" "$(current_release "$APP")/venv/bin/kiosk-server" add-librarian "$LIBRARIAN" \
    --db "$(env_value LIBRARY_SERVER_DB)"
}

uninstall() {
  local saved
  step "stopping and removing the server"
  disable_unit "$UNIT"
  step "saving the configuration in $DATA/saved-config (a new install restores it)"
  saved=$(at "$DATA/saved-config")
  if [ -d "$(at "$ETC")" ] && [ -d "$(at "$DATA")" ]; then
    rm -rf "$saved"
    install -d -m 700 -o 0 -g 0 "$saved"
    cp -a "$(at "$ETC")/." "$saved/"
    # cp -a gives the folder itself the mode and group of $ETC (0750, the server's group); a new
    # install restores only from a folder root alone can read, so it is made that again here.
    chown 0:0 "$saved" && chmod 700 "$saved"
    did "saved $(cd "$saved" && find . -type f | sed 's|^\./||' | sort | paste -sd' ')"
  fi
  step "removing the release and the configuration"
  remove "$ETC" "$OPT"
  step "removing the user $USER_NAME"
  remove_user "$USER_NAME"
  remove /etc/sysusers.d/library-server.conf
  [ ! -d "$(at /etc/sysusers.d)" ] || rmdir --ignore-fail-on-non-empty "$(at /etc/sysusers.d)"
  if booted; then systemctl daemon-reload; fi
  step "done: the data is still in $DATA; a PostgreSQL database '$PG_DATABASE' is kept too (sudo -u postgres dropdb $PG_DATABASE)"
}

need_root
check_arguments
case $ACTION in
  install)
    packages
    step "the server's user"
    ensure_users "$USER_NAME" "$SRC/systemd/sysusers.d/library-server.conf"
    release
    system_files
    configuration
    data
    database
    services
    librarian
    step "done: release $RELEASE_ID is current; the server listens on $(env_value LIBRARY_SERVER_HOST):$(env_value LIBRARY_SERVER_PORT)"
    ;;
  rollback)
    step "returning to the previous release (a database migrated by the newer one stays migrated)"
    CHANGED=0
    rollback_release "$APP"
    after_change "release $(basename "$(current_release "$APP")") is current" "$UNIT"
    system_files
    services
    step "done: release $(basename "$(current_release "$APP")") is current"
    ;;
  uninstall)
    uninstall
    ;;
esac
