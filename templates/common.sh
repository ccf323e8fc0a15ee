#!/bin/bash
# Shared by the mysqlgen scripts; sourced, never run. Every parameter comes from
# the container's environment, set by the renderer:
#   MYSQLGEN_FLAVOR      mysql | mariadb        (tool names, bootstrap command)
#   MYSQLGEN_DIALECT     mysql57 | mysql80 | mysql84 | mariadb   (SQL words)
#   MYSQLGEN_GTID        ON | OFF               (GTID or binlog-position replication)
#   MYSQLGEN_CONFIGMAP_DIR  the ConfigMap's files, read only: the shared my.cnf,
#                        primary.cnf, replica.cnf (what the spec says)
#   MYSQLGEN_GENERATED_DIR  an emptyDir: the my.cnf the server reads (the
#                        ConfigMap's plus this pod's role and server-id) and the
#                        client option files, all written by init-mysql
#   MYSQLGEN_SECRET_DIR  Secret volume with root-password, replication-password,
#                        backup-password (and metrics-password with metrics)
#   MYSQLGEN_DATA_ROOT   the PVC mount; the data directory is data/ inside it
#   MYSQLGEN_SOCKET      the server's socket, on an emptyDir shared by the containers
#   MYSQLGEN_PRIMARY_ORDINAL  the member that takes writes (spec.primary)
#   MYSQLGEN_SERVICE     the governing Service, if /etc/hosts does not say
#   MYSQLGEN_BACKUP_PORT, MYSQLGEN_MAX_LAG_SECONDS
#   MYSQLGEN_METRICS     ON | OFF               (the exporter's user and client file)
#   MYSQLGEN_TLS         ON | OFF               (spec.tls: members talk TLS, verified)
#   MYSQLGEN_TLS_DIR     the certificate Secret: tls.crt, tls.key, ca.crt
#                        (cert-manager's layout), used as server and client
#                        certificate alike
#   MYSQLGEN_REQUIRE_TLS ON | OFF               (checked against the server)
#   MYSQLGEN_USERS_DIR, MYSQLGEN_INIT_SQL_DIR  (sidecar: accounts.sh)
# shellcheck disable=SC2034 # variables are used by the scripts that source this file
set -euo pipefail

log() { printf '%s %s\n' "${0##*/}:" "$*" >&2; }
die() { log "error: $*"; exit 1; }

: "${MYSQLGEN_FLAVOR:?}" "${MYSQLGEN_DIALECT:?}" "${MYSQLGEN_GENERATED_DIR:?}" "${MYSQLGEN_DATA_ROOT:?}"

# The data directory only ever appears complete: bootstrap and clone build it
# in a temporary directory on the same volume and rename it into place.
DATA_DIR="$MYSQLGEN_DATA_ROOT/data"
STAGING_DIR="$MYSQLGEN_DATA_ROOT/.staging"
# Written by clone-mysql with the coordinates the clone was taken at; the
# sidecar turns it into a replication source once, then renames it.
PENDING_FILE="$DATA_DIR/mysqlgen-replication-pending"
# The role the sidecar last set up for this data directory (primary or
# replica): a primary restarting as one takes writes at once, a member that
# must become it starts read-only until the sidecar has fenced the old one.
ROLE_FILE="$DATA_DIR/mysqlgen-role"
# Present while the sidecar moves errant data aside and clones afresh; the
# server waits for it to go.
RECLONE_FILE="$MYSQLGEN_DATA_ROOT/mysqlgen-recloning"
# Left by the bootstrap of a new cluster; the primary's sidecar runs
# spec.initSQL, then renames it (.done): once, never again.
INIT_SQL_PENDING="$DATA_DIR/mysqlgen-init-sql-pending"
ROOT_CNF="$MYSQLGEN_GENERATED_DIR/root.cnf"
BACKUP_CNF="$MYSQLGEN_GENERATED_DIR/backup.cnf"
METRICS_CNF="$MYSQLGEN_GENERATED_DIR/metrics.cnf"
MY_CNF="$MYSQLGEN_GENERATED_DIR/my.cnf"
# The local admin's client file: no password, the server authenticates the
# container's OS user on the socket (MariaDB unix_socket, MySQL auth_socket),
# so that a root password changing under a running pod never locks its
# probes and sidecar out (see pick_admin).
ADMIN_CNF="$MYSQLGEN_GENERATED_DIR/admin.cnf"
TLS="${MYSQLGEN_TLS:-OFF}"
TLS_DIR="${MYSQLGEN_TLS_DIR:-/etc/mysqlgen/tls}"

case "$MYSQLGEN_FLAVOR" in
mysql)
  MYSQLD=mysqld MYSQL=mysql BACKUP_TOOL=xtrabackup STREAM_TOOL=xbstream ;;
mariadb)
  MYSQLD=mariadbd MYSQL=mariadb BACKUP_TOOL=mariadb-backup STREAM_TOOL=mbstream ;;
*) die "unknown MYSQLGEN_FLAVOR '$MYSQLGEN_FLAVOR'" ;;
esac

# SQL words: MySQL 8.4 removed CHANGE MASTER, START SLAVE and SHOW SLAVE STATUS;
# 8.0.23 added the new words; MariaDB and MySQL 5.7 only know the old ones.
case "$MYSQLGEN_DIALECT" in
mysql57 | mariadb)
  SQL_CHANGE_SOURCE="CHANGE MASTER TO" SQL_SRC=MASTER
  SQL_START="START SLAVE" SQL_STOP="STOP SLAVE" SQL_STATUS="SHOW SLAVE STATUS"
  SQL_RESET_REPLICA="RESET SLAVE ALL" SQL_RESET_GTIDS="RESET MASTER" ;;
mysql80)
  SQL_CHANGE_SOURCE="CHANGE REPLICATION SOURCE TO" SQL_SRC=SOURCE
  SQL_START="START REPLICA" SQL_STOP="STOP REPLICA" SQL_STATUS="SHOW REPLICA STATUS"
  SQL_RESET_REPLICA="RESET REPLICA ALL" SQL_RESET_GTIDS="RESET MASTER" ;;
mysql84)
  SQL_CHANGE_SOURCE="CHANGE REPLICATION SOURCE TO" SQL_SRC=SOURCE
  SQL_START="START REPLICA" SQL_STOP="STOP REPLICA" SQL_STATUS="SHOW REPLICA STATUS"
  SQL_RESET_REPLICA="RESET REPLICA ALL" SQL_RESET_GTIDS="RESET BINARY LOGS AND GTIDS" ;;
*) die "unknown MYSQLGEN_DIALECT '$MYSQLGEN_DIALECT'" ;;
esac

# ordinal prints the pod's ordinal from $HOSTNAME (no hostname binary needed).
ordinal() {
  [[ "${HOSTNAME:-}" =~ -([0-9]+)$ ]] || die "cannot take an ordinal from hostname '${HOSTNAME:-}'"
  echo "$((10#${BASH_REMATCH[1]}))"
}

# read_secret VAR KEY sets VAR to one key of the mounted Secret, exactly as
# stored but for trailing line breaks (which `kubectl create secret
# --from-file` adds by accident). It refuses, naming the key, what no server
# could use: a missing or empty key and a NUL byte; a line break in the
# replication password, which the replica stores one field a line
# (master.info), so that after a restart it would read a wrong password; and
# what the exporter would rewrite in the metrics password.
# It sets a variable rather than printing: a failure inside "$(...)" would
# not stop the script.
read_secret() {
  local f="${MYSQLGEN_SECRET_DIR:?}/$2" v=""
  [[ -r "$f" ]] || die "secret key '$2' is missing (expected file $f)"
  # read stops at a NUL and succeeds only when it finds one.
  if IFS= read -r -d '' v <"$f"; then
    die "secret key '$2' holds a NUL byte, which no client can send"
  fi
  while [[ "$v" == *$'\n' ]]; do v="${v%$'\n'}"; done
  [[ -n "$v" ]] || die "secret key '$2' is empty"
  if [[ "$2" == replication-password && "$v" == *$'\n'* ]]; then
    die "secret key '$2' holds a line break: replicas keep this password in master.info, one field a line"
  fi
  # mysqld_exporter's go-ini replaces %(key)s in a value with another key's
  # (gopkg.in/ini.v1 key.go, transformValue), even in the password it takes
  # from MYSQLD_EXPORTER_PASSWORD.
  if [[ "$2" == metrics-password && "$v" =~ %\([^\)]+\)s ]]; then
    die "secret key '$2' holds '${BASH_REMATCH[0]}', which mysqld_exporter would replace with another setting"
  fi
  printf -v "$1" '%s' "$v"
}

# SQL_LITERALS starts every session that sends sql_quote'd text: with
# NO_BACKSLASH_ESCAPES a backslash is an ordinary character whatever sql-mode
# spec.config sets, so a quote is the only character to escape. The mysql
# client follows the mode the server reports when it splits statements.
SQL_LITERALS="SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES';"

# sql_quote prints its argument as an SQL string literal, for a session that
# began with SQL_LITERALS. Line breaks may stand inside the quotes.
sql_quote() {
  printf "'%s'" "${1//\'/\'\'}"
}

# cnf_quote prints its argument as a double-quoted option-file value. The
# servers' option-file reader (mysys my_default.c) unescapes \\ \" \n \r
# \t \b \s inside quotes and keeps # and ; there; a raw line break would end
# the value and start a new option line.
cnf_quote() {
  local s="${1//\\/\\\\}"
  s="${s//\"/\\\"}"
  s="${s//$'\n'/\\n}"
  s="${s//$'\r'/\\r}"
  printf '"%s"' "$s"
}

# run_sql runs SQL from stdin as the given client file's user; passwords never
# reach a command line, where ps would show them.
run_sql() {
  local cnf="$1"
  shift
  "$MYSQL" --defaults-extra-file="$cnf" --protocol=socket --socket="$MYSQLGEN_SOCKET" "$@"
}

# TCP_TLS are the client options of every TCP connection to a member: TLS,
# the server's certificate verified against the CA and the name dialled (the
# certificate names every member as <sts>-<k>.<service>, as peer_host does).
# Socket connections stay as they are: both servers count a Unix socket as a
# secure transport (require_secure_transport).
TCP_TLS=()
if [[ "$TLS" == ON ]]; then
  case "$MYSQLGEN_FLAVOR" in
  mariadb) TCP_TLS=(--ssl --ssl-ca="$TLS_DIR/ca.crt" --ssl-verify-server-cert) ;;
  mysql) TCP_TLS=(--ssl-mode=VERIFY_IDENTITY --ssl-ca="$TLS_DIR/ca.crt") ;;
  esac
fi

# pick_admin sets ADMIN to the client file that logs in as the local admin:
# the socket-authenticated one when the server knows it, else root's
# password file (a cluster made before the local admin existed, until its
# primary has made it; a uid the server image cannot name).
pick_admin() {
  ADMIN="$ROOT_CNF"
  if [[ -r "$ADMIN_CNF" ]] && run_sql "$ADMIN_CNF" -N -B -e 'SELECT 1' >/dev/null 2>&1; then
    ADMIN="$ADMIN_CNF"
  fi
}

# local_admin_sql NAME prints the statements that make the local admin: an
# account of the container's OS user name that only the server's socket
# authenticates (SO_PEERCRED), with root's privileges. MariaDB: unix_socket
# (built in since 10.4); MySQL: auth_socket, whose AS names the OS user.
local_admin_sql() {
  local who
  who="$(sql_quote "$1")"
  printf '%s\n' "$SQL_LITERALS"
  if [[ "$MYSQLGEN_FLAVOR" == mariadb ]]; then
    printf 'CREATE USER IF NOT EXISTS %s@%s IDENTIFIED VIA unix_socket;\n' "$who" "'localhost'"
  else
    printf 'CREATE USER IF NOT EXISTS %s@%s IDENTIFIED WITH auth_socket AS %s;\n' "$who" "'localhost'" "$who"
  fi
  printf 'GRANT ALL PRIVILEGES ON *.* TO %s@%s WITH GRANT OPTION;\n' "$who" "'localhost'"
}

# write_client_cnf FILE USER PASSWORD writes a client option file, mode
# 0600, atomically: the backup one includes my.cnf, as the backup tools read
# [xtrabackup] for their connection and [mysqld] for the server's layout.
write_client_cnf() {
  local file="$1" user="$2" password="$3" group
  (
    umask 077
    {
      [[ "$file" == "$BACKUP_CNF" ]] && printf '!include %s\n' "$MY_CNF"
      for group in client xtrabackup; do
        printf '[%s]\nuser=%s\npassword=%s\nsocket=%s\n' \
          "$group" "$user" "$(cnf_quote "$password")" "$MYSQLGEN_SOCKET"
      done
    } >"$file.tmp"
    mv "$file.tmp" "$file"
  )
}

# The clone stream is a full copy of the database, so the backup port serves
# it only to a peer that proves it holds the cluster's replication password,
# and a cloning member takes it only from a donor that proves the same:
#   donor: "mysqlgen-clone/1 <donor nonce>"
#   peer:  "<peer nonce> <HMAC(k, 'peer <donor nonce> <peer nonce>')>"
#   donor: "<HMAC(k, 'donor <donor nonce> <peer nonce>')>", then the stream
# with k = SHA-256 of the password. Nonces are fresh per connection, so an
# answer cannot be replayed; a wrong answer gets nothing but the first line.
# With TLS the connection is mutual TLS with the members' certificate
# (peer_socat_address, the sidecar's listener); without, the stream is not
# encrypted and the NetworkPolicy keeps it in the cluster. Only bash and coreutils (sha256sum, od) are needed: every backup
# image has them, while the openssl CLI is not in all of them.
CLONE_BANNER="mysqlgen-clone/1"

# hmac_sha256 KEY MESSAGE prints HMAC-SHA256 (RFC 2104) in hex, keyed with
# SHA-256(KEY) so that the key is one block's half whatever its length.
hmac_sha256() {
  local k i b x ipad="" opad="" inner
  k="$(printf '%s' "$1" | sha256sum)"
  for ((i = 0; i < 64; i++)); do
    b=0
    ((i < 32)) && b=$((16#${k:2*i:2}))
    printf -v x '\\x%02x' $((b ^ 0x36))
    ipad+="$x"
    printf -v x '\\x%02x' $((b ^ 0x5c))
    opad+="$x"
  done
  inner="$({ printf '%b' "$ipad"; printf '%s' "$2"; } | sha256sum)"
  inner="${inner%% *}"
  x="$({ printf '%b' "$opad"; printf '%b' "$(hex_escape "$inner")"; } | sha256sum)"
  printf '%s' "${x%% *}"
}

# hex_escape turns hex digits into \xHH escapes for printf %b.
hex_escape() {
  local i out=""
  for ((i = 0; i < ${#1}; i += 2)); do out+="\\x${1:i:2}"; done
  printf '%s' "$out"
}

# nonce prints 32 random hex digits.
nonce() {
  local n
  n="$(od -An -N16 -tx1 /dev/urandom)"
  n="${n//[[:space:]]/}"
  [[ "$n" =~ ^[0-9a-f]{32}$ ]] || die "could not read 16 random bytes"
  printf '%s' "$n"
}

# The primary's ordinal; every other member replicates from it.
PRIMARY_ORDINAL="${MYSQLGEN_PRIMARY_ORDINAL:-0}"

# governing_service prints the StatefulSet's governing Service, read from the
# line the kubelet writes for this pod into /etc/hosts ("<ip> <pod>.<service>.
# <namespace>.svc.<domain> <pod>"), so that a kustomize namePrefix, which
# renames the Service and the pods but no string in a container's env,
# changes nothing here. MYSQLGEN_SERVICE is the fallback.
governing_service() {
  local _ip name _rest
  if [[ -r /etc/hosts ]]; then
    while read -r _ip name _rest; do
      if [[ "$name" == "$HOSTNAME".?* ]]; then
        name="${name#"$HOSTNAME".}"
        printf '%s' "${name%%.*}"
        return
      fi
    done </etc/hosts
  fi
  printf '%s' "${MYSQLGEN_SERVICE:?}"
}
SERVICE="$(governing_service)"

# peer_host K prints ordinal K's stable name through the governing Service;
# the pod's DNS search path resolves it in its own namespace. The pods' own
# names give the StatefulSet's; a backup Job's pod, whose name is not a
# member's, is told it in MYSQLGEN_STATEFULSET.
peer_host() {
  printf '%s-%d.%s' "${MYSQLGEN_STATEFULSET:-${HOSTNAME%-*}}" "$1" "$SERVICE"
}

PRIMARY_HOST="$(peer_host "$PRIMARY_ORDINAL")"

# peer_socat_address HOST PORT prints the socat address that reaches a
# peer's backup port. With TLS: the peer's certificate verified against the
# CA and for the name dialled (socat checks the host name since 1.7.4), and
# this member's own certificate shown, which the listener verifies (mutual
# TLS). socat's man page (OPENSSL, OPENSSL-LISTEN: cafile, cert, key, verify).
peer_socat_address() {
  if [[ "$TLS" == ON ]]; then
    printf 'OPENSSL:%s:%s,connect-timeout=10,verify=1,cafile=%s,cert=%s,key=%s' \
      "$1" "$2" "$TLS_DIR/ca.crt" "$TLS_DIR/tls.crt" "$TLS_DIR/tls.key"
  else
    printf 'TCP:%s:%s,connect-timeout=10' "$1" "$2"
  fi
}

# existing_peers prints the ordinals of the other members that exist. The
# headless Service publishes every pod, ready or not (publishNotReady-
# Addresses), so a name resolves exactly while its pod exists. A
# StatefulSet's ordinals are contiguous: the scan stops after three names in
# a row that do not resolve.
existing_peers() {
  local k misses=0 self
  self="$(ordinal)"
  for ((k = 0; misses < 3 && k < 64; k++)); do
    ((k == self)) && continue
    if getent hosts "$(peer_host "$k")" >/dev/null; then
      printf '%d\n' "$k"
      misses=0
    else
      misses=$((misses + 1))
    fi
  done
}

# progress K prints how far member K has come in the primary's history, as
# one number that grows with every transaction, or fails if K does not
# answer: with GTIDs the transactions it holds (MySQL: the size of
# gtid_executed; MariaDB: the sum of gtid_current_pos's sequence numbers),
# without them where its replication stands in the primary's binary log.
progress() {
  local out n=0 part lo hi
  local sql=(--defaults-extra-file="$ROOT_CNF" --protocol=tcp --host="$(peer_host "$1")"
    --port="${MYSQLGEN_MYSQL_PORT:-3306}" --connect-timeout=5 ${TCP_TLS[@]+"${TCP_TLS[@]}"})
  if [[ "${MYSQLGEN_GTID:-OFF}" == ON && "$MYSQLGEN_FLAVOR" == mariadb ]]; then
    out="$("$MYSQL" "${sql[@]}" -N -B -e 'SELECT @@gtid_current_pos')" || return 1
    for part in ${out//,/ }; do n=$((n + ${part##*-})); done
  elif [[ "${MYSQLGEN_GTID:-OFF}" == ON ]]; then
    out="$("$MYSQL" "${sql[@]}" -N -B -e 'SELECT @@gtid_executed')" || return 1
    out="${out//[[:space:]]/}"
    for part in ${out//[,:]/ }; do
      [[ "$part" =~ ^([0-9]+)(-([0-9]+))?$ ]] || continue
      lo="${BASH_REMATCH[1]}" hi="${BASH_REMATCH[3]:-${BASH_REMATCH[1]}}"
      n=$((n + hi - lo + 1))
    done
  else
    out="$("$MYSQL" "${sql[@]}" -E -e "$SQL_STATUS")" || return 1
    [[ "$out" =~ Relay_(Master|Source)_Log_File:\ [^.]*\.0*([0-9]+) ]] || return 1
    n=$((BASH_REMATCH[2] << 32))
    [[ "$out" =~ Exec_(Master|Source)_Log_Pos:\ ([0-9]+) ]] || return 1
    n=$((n + BASH_REMATCH[2]))
  fi
  printf '%d' "$n"
}
