#!/bin/bash
# sidecar: runs in the backup image beside the server. It turns a fresh
# clone's coordinates into a replication source (once per clone), then serves
# hot backups to the next ordinal's clone-mysql on the backup port.
#   sidecar.sh            set up replication if pending, the managed
#                         passwords, declared accounts and init SQL (on the
#                         primary), then listen, and watch the mounted Secrets
#                         (accounts.sh: rotation, certificate renewal)
#   sidecar.sh serve      stream one backup to stdout (run by the listener per peer)
#   sidecar.sh promote N  make ordinal N the primary now (a dead primary's node)
# shellcheck source-path=SCRIPTDIR
source "${0%/*}/common.sh"

# healthy_replica succeeds when this member is a replica whose replication
# runs and lags at most MYSQLGEN_MAX_LAG_SECONDS; otherwise it prints why.
healthy_replica() {
  local st lag
  if (($(ordinal) == PRIMARY_ORDINAL)); then
    printf 'this member is the primary'
    return 1
  fi
  st="$(run_sql "$ROOT_CNF" -E -e "$SQL_STATUS" 2>&1)" || { printf 'server: %s' "$st"; return 1; }
  if [[ ! "$st" =~ (Slave|Replica)_IO_Running:\ Yes || ! "$st" =~ (Slave|Replica)_SQL_Running:\ Yes ]]; then
    printf 'replication is not running'
    return 1
  fi
  [[ "$st" =~ Seconds_Behind_(Master|Source):\ ([0-9]+) ]] || { printf 'replication lag unknown'; return 1; }
  lag="${BASH_REMATCH[2]}"
  if ((lag > ${MYSQLGEN_MAX_LAG_SECONDS:-300})); then
    printf 'replication lags %s s' "$lag"
    return 1
  fi
}

if [[ "${1:-}" == serve ]]; then
  # stdin and stdout are the peer's connection (common.sh: the exchange).
  clone_key=""
  read_secret clone_key replication-password
  donor_nonce="$(nonce)"
  printf '%s %s\n' "$CLONE_BANNER" "$donor_nonce"
  peer_nonce="" answer="" mode=""
  read -r -t 10 peer_nonce answer mode || true
  # A readiness probe (or a port scan) hangs up after the first line.
  [[ -n "$peer_nonce" ]] || exit 0
  # A backup Job adds a mode to its answer, inside the HMAC: "replica" asks
  # for a backup only from a replica that replicates (backup.sh goes on to
  # the next member when refused), "any" from whatever this member is. A
  # cloning member sends none and is answered as it always was.
  msg="$donor_nonce $peer_nonce${mode:+ $mode}"
  if [[ ! "$peer_nonce" =~ ^[0-9a-f]{32}$ || ! "$mode" =~ ^(|replica|any)$ ||
    "$answer" != "$(hmac_sha256 "$clone_key" "peer $msg")" ]]; then
    die "refused a peer that did not prove it holds the cluster's replication-password"
  fi
  if [[ -z "$mode" ]]; then
    hmac_sha256 "$clone_key" "donor $msg"
    printf '\n'
  else
    status=ready
    if [[ "$mode" == replica ]] && ! why="$(healthy_replica)"; then
      status=not-ready
      log "refused a replica-only backup: $why"
    fi
    # The status is inside the proof: nobody but this member can say ready.
    printf '%s %s\n' "$(hmac_sha256 "$clone_key" "donor $msg $status")" "$status"
    [[ "$status" == ready ]] || exit 0
  fi
  log "streaming a backup"
  # Each peer gets its own scratch directory, on the data volume.
  scratch="$(mktemp -d "$MYSQLGEN_DATA_ROOT/.backup.XXXXXX")"
  trap 'rm -rf "$scratch"' EXIT
  # --defaults-file must come first; it names the backup user's client file,
  # which includes the server's my.cnf for the data directory's layout.
  "$BACKUP_TOOL" --defaults-file="$BACKUP_CNF" --backup --slave-info \
    --stream=xbstream --target-dir="$scratch"
  exit
fi

: "${MYSQLGEN_SOCKET:?}" "${MYSQLGEN_REPLICATION_USER:?}"
# shellcheck source-path=SCRIPTDIR
source "${0%/*}/accounts.sh"
# Local statements run as the local admin once the server answers
# (pick_admin); before, only other members are spoken to.
ADMIN="$ROOT_CNF"

# reclone moves this member's data aside (kept, for a person to look at)
# and clones afresh, the server waiting meanwhile (server.sh): its data
# holds transactions the primary lacks, so it cannot follow the primary.
reclone() {
  local aside
  if [[ ! -f "$RECLONE_FILE" ]]; then
    : >"$RECLONE_FILE"
    pick_admin
    run_sql "$ADMIN" -e 'SHUTDOWN' >/dev/null 2>&1 || true
  fi
  # The pid file goes last in a clean shutdown.
  while [[ -e "${MYSQLGEN_SOCKET%/*}/mysqld.pid" ]] || run_sql "$ADMIN" -e 'SELECT 1' >/dev/null 2>&1; do
    sleep 1
  done
  if [[ -d "$DATA_DIR" ]]; then
    aside="$MYSQLGEN_DATA_ROOT/data.errant-$(date -u +%Y%m%dT%H%M%SZ)"
    mv "$DATA_DIR" "$aside"
    log "moved the data directory aside to $aside (kept); cloning afresh"
  fi
  bash "${0%/*}/clone-mysql.sh"
  rm -f "$RECLONE_FILE"
  exec bash "$0" # and start over, on the fresh clone
}
[[ -f "$RECLONE_FILE" ]] && reclone # interrupted: finish it


# take_over makes a primary cloned from a member (its own volume was lost)
# the source the other members can follow: no replication of its own, the
# history its donor held as its own binary log state (so that a replica
# asking for a GTID up to there is served from here on), then writes.
take_over() {
  local gtid="$1" reset=""
  if [[ "${MYSQLGEN_GTID:-OFF}" == ON && "$MYSQLGEN_FLAVOR" == mariadb ]]; then
    reset="RESET MASTER; SET GLOBAL gtid_binlog_state = $(sql_quote "$gtid");"
  elif [[ "${MYSQLGEN_GTID:-OFF}" == ON ]]; then
    reset="SET GLOBAL super_read_only = OFF; $SQL_RESET_GTIDS; SET GLOBAL gtid_purged = $(sql_quote "$gtid");"
  else
    log "warning: replicas follow by binary log position, which a re-cloned primary cannot serve: re-clone them (delete their claims), or use GTIDs"
  fi
  log "taking over as the primary with the history of its donor (gtid=$gtid)"
  run_sql "$ADMIN" -e "$SQL_STOP" >/dev/null 2>&1 || true # nothing may run
  run_sql "$ADMIN" <<SQL
$SQL_LITERALS
$SQL_RESET_REPLICA;
$reset
SET GLOBAL read_only = OFF;
SQL
}

# source_options prints what CHANGE ... TO needs to follow the primary,
# ending with how to find the place in its history: $1 is that clause.
source_options() {
  local replication_password=""
  read_secret replication_password replication-password
  printf '%s' "${SQL_SRC}_HOST=$(sql_quote "$PRIMARY_HOST"),
  ${SQL_SRC}_PORT=${MYSQLGEN_MYSQL_PORT:-3306},
  ${SQL_SRC}_USER=$(sql_quote "$MYSQLGEN_REPLICATION_USER"),
  ${SQL_SRC}_PASSWORD=$(sql_quote "$replication_password"),
  ${SQL_SRC}_CONNECT_RETRY=10, $1"
  source_tls_options
  # caching_sha2_password over a plain connection needs the source's key.
  [[ "$SQL_SRC" == SOURCE ]] && printf ', GET_SOURCE_PUBLIC_KEY=1'
  return 0
}

# source_tls_options prints, with TLS, the options that make replication
# connect with TLS and verify the primary's certificate against the CA and
# for the host name it dials (PRIMARY_HOST, one of the certificate's names):
# MariaDB and MySQL 5.7 MASTER_SSL, MASTER_SSL_CA,
# MASTER_SSL_VERIFY_SERVER_CERT; MySQL 8 the same with SOURCE_ (MariaDB
# sql/sql_yacc.yy master_def; mysql-server sql/sql_yacc.yy source_def).
source_tls_options() {
  [[ "$TLS" == ON ]] || return 0
  printf ', %s_SSL=1, %s_SSL_CA=%s, %s_SSL_VERIFY_SERVER_CERT=1' \
    "$SQL_SRC" "$SQL_SRC" "$(sql_quote "$TLS_DIR/ca.crt")" "$SQL_SRC"
}

# follow_clone points a fresh clone at the primary, from the coordinates the
# clone was taken at.
follow_clone() {
  local file="$1" pos="$2" gtid="$3" pre_sql="" how
  if [[ "${MYSQLGEN_GTID:-OFF}" == ON && "$MYSQLGEN_FLAVOR" == mariadb ]]; then
    pre_sql="SET GLOBAL gtid_slave_pos = $(sql_quote "$gtid");"
    how="MASTER_USE_GTID=slave_pos"
  elif [[ "${MYSQLGEN_GTID:-OFF}" == ON ]]; then
    # A restored backup must be told which transactions it already holds.
    # super_read_only would refuse the reset; read_only stays on.
    pre_sql="SET GLOBAL super_read_only = OFF; $SQL_RESET_GTIDS;
SET GLOBAL gtid_purged = $(sql_quote "$gtid"); SET GLOBAL super_read_only = ON;"
    how="${SQL_SRC}_AUTO_POSITION=1"
  else
    how="${SQL_SRC}_LOG_FILE=$(sql_quote "$file"), ${SQL_SRC}_LOG_POS=$pos"
  fi
  log "pointing replication at $PRIMARY_HOST"
  # A clone of a replica carries the donor's stopped replication settings
  # (replicas run with skip-replica-start); stopping what is not running
  # only warns, on some servers it errs, either way it is fine here.
  run_sql "$ADMIN" -e "$SQL_STOP" >/dev/null 2>&1 || true
  run_sql "$ADMIN" <<SQL
$SQL_LITERALS
$pre_sql
$SQL_CHANGE_SOURCE $(source_options "$how");
SQL
}

# sql_at HOST runs SQL on the local server (HOST "local") or on another
# member as root over TCP, printing bare values (-N -B), or with -E first,
# one "name: value" line per column.
sql_at() {
  local host="$1" format=(-N -B)
  shift
  [[ "${1:-}" == -E ]] && format=()
  if [[ "$host" == local ]]; then
    run_sql "$ADMIN" ${format[@]+"${format[@]}"} "$@"
  else
    "$MYSQL" --defaults-extra-file="$ROOT_CNF" --protocol=tcp --host="$host" \
      --port="${MYSQLGEN_MYSQL_PORT:-3306}" --connect-timeout=3 ${TCP_TLS[@]+"${TCP_TLS[@]}"} \
      ${format[@]+"${format[@]}"} "$@"
  fi
}

# source_host HOST prints the host that server replicates from, if any.
source_host() {
  local status
  status="$(sql_at "$1" -E -e "$SQL_STATUS")"
  if [[ "$status" =~ (Master|Source)_Host:\ ([^[:space:]]+) ]]; then
    printf '%s' "${BASH_REMATCH[2]}"
  fi
}

# errant prints the GTIDs this member logged that the primary lacks (none:
# nothing), failing if the primary does not answer. MySQL subtracts the
# primary's gtid_executed; MariaDB keeps the last GTID of each domain, and
# one the primary's gtid_binlog_state does not reach (same domain and
# server, a sequence number at least as high) is errant: a former primary
# that committed after a failover holds such a one.
errant() {
  local mine theirs g d sv n t td ts tn found out=""
  if [[ "$MYSQLGEN_FLAVOR" == mysql ]]; then
    mine="$(sql_at local -e 'SELECT @@GLOBAL.gtid_executed')" || return 1
    sql_at "$PRIMARY_HOST" -e "SELECT GTID_SUBTRACT('${mine//[[:space:]]/}', @@GLOBAL.gtid_executed)"
    return
  fi
  mine="$(sql_at local -e 'SELECT @@GLOBAL.gtid_binlog_pos')" || return 1
  theirs="$(sql_at "$PRIMARY_HOST" -e 'SELECT @@GLOBAL.gtid_binlog_state')" || return 1
  for g in ${mine//,/ }; do
    IFS=- read -r d sv n <<<"$g"
    found=0
    for t in ${theirs//,/ }; do
      IFS=- read -r td ts tn <<<"$t"
      if [[ "$td" == "$d" && "$ts" == "$sv" ]] && ((tn >= n)); then found=1; fi
    done
    ((found)) || out+="$g "
  done
  printf '%s' "${out% }"
}

# follow_primary points a member that holds data at the primary when it
# follows another host (the primary moved, or this member was the primary),
# finding its place by GTID: MariaDB's current_pos counts what this server
# logged itself as a primary, auto-position does on MySQL.
follow_primary() {
  local at="${1:-local}" host how
  host="$(source_host "$at")"
  [[ "$host" == "$PRIMARY_HOST" ]] && return 0
  if [[ "${MYSQLGEN_GTID:-OFF}" != ON ]]; then
    [[ -z "$host" ]] || log "warning: follows $host, not $PRIMARY_HOST; without GTIDs it cannot find its place there"
    return 0
  fi
  how="${SQL_SRC}_AUTO_POSITION=1"
  [[ "$MYSQLGEN_FLAVOR" == mariadb ]] && how="MASTER_USE_GTID=current_pos"
  log "$at follows $PRIMARY_HOST (was: ${host:-none}) by GTID"
  sql_at "$at" -e "$SQL_STOP" >/dev/null 2>&1 || true
  sql_at "$at" <<SQL
$SQL_LITERALS
$SQL_CHANGE_SOURCE $(source_options "$how");
SQL
}

# fence makes the old primary refuse writes (super_read_only where the server
# has it; read_only waits for commits under way) and prints the GTIDs it has
# committed. It gives up after FENCE_SECONDS: the old primary is gone.
FENCE_SECONDS=60
fence() {
  local host="$1" start=$SECONDS sql out
  sql="SET GLOBAL read_only = ON; SELECT @@GLOBAL.gtid_binlog_pos;"
  [[ "$MYSQLGEN_FLAVOR" == mysql ]] && sql="SET GLOBAL super_read_only = ON; SELECT @@GLOBAL.gtid_executed;"
  while ((SECONDS - start < FENCE_SECONDS)); do
    if out="$(sql_at "$host" -e "$sql" 2>/dev/null)"; then
      printf '%s' "${out//[[:space:]]/}"
      return 0
    fi
    sleep 2
  done
  return 1
}

# promote TARGET makes that server ("local", or the primary's host) the
# primary. If it follows another (the primary moved to it), it fences that
# one, applies everything it committed and stops replicating; if that one
# does not answer (its node is gone), it takes writes with what it holds,
# and says so. Then it takes writes. The new primary runs it when it
# starts, and so does every member that starts with spec.primary changed
# while the new primary still replicates: the first pod the rolling update
# restarts moves the primary, so writes are refused for about one restart,
# not for the restarts of every member above it. Each step may run twice.
promote() {
  local at="$1" old target wait_sql ok
  old="$(source_host "$at")"
  if [[ -n "$old" && "$old" != "$PRIMARY_HOST" ]]; then
    if target="$(fence "$old")"; then
      log "switchover: fenced $old (read-only); $at catches up to its GTIDs $target"
      wait_sql="SELECT MASTER_GTID_WAIT($(sql_quote "$target"), 60)"
      [[ "$MYSQLGEN_FLAVOR" == mysql ]] && wait_sql="SELECT WAIT_FOR_EXECUTED_GTID_SET($(sql_quote "$target"), 60)"
      sql_at "$at" -e "$SQL_START" >/dev/null 2>&1 || true
      ok="$(sql_at "$at" -e "$SQL_LITERALS $wait_sql")"
      [[ "$ok" == 0 ]] || die "$at did not apply $old's transactions within 60 s: not taking writes (the sidecar restarts and tries again)"
    else
      log "failover: $old did not answer for ${FENCE_SECONDS}s; $at takes writes with what it holds (transactions only $old had are not there)"
    fi
    sql_at "$at" -e "$SQL_STOP; $SQL_RESET_REPLICA"
  fi
  sql_at "$at" -e 'SET GLOBAL read_only = OFF'
  log "$at takes writes as the primary"
}

# sidecar.sh promote N, run by a person (kubectl exec) when the primary's
# node is gone and the StatefulSet controller restarts nothing (replicas
# without their primary are not ready): makes ordinal N the primary as a
# restart with spec.primary N would, and points every member that answers at
# it, so that they are ready and the rollout of spec.primary N can go on.
if [[ "${1:-}" == promote ]]; then
  [[ "${2:-}" =~ ^[0-9]+$ ]] || die "usage: sidecar.sh promote <ordinal>"
  PRIMARY_ORDINAL="$2"
  PRIMARY_HOST="$(peer_host "$2")"
  promote "$PRIMARY_HOST"
  for k in $(existing_peers) "$(ordinal)"; do
    ((k == PRIMARY_ORDINAL)) && continue
    host="$(peer_host "$k")"
    if follow_primary "$host" && sql_at "$host" -e "$SQL_START"; then
      continue
    fi
    log "could not point $host at $PRIMARY_HOST: it follows when it restarts"
  done
  exit 0
fi

# The primary moved to a member that still replicates: move it now, before
# this member's own server is up, as that needs nothing from it.
if (($(ordinal) != PRIMARY_ORDINAL)); then
  primary_source="$(source_host "$PRIMARY_HOST" 2>/dev/null)" || primary_source=""
  if [[ -n "$primary_source" ]]; then
    promote "$PRIMARY_HOST"
  fi
fi

log "waiting for the local server"
until pick_admin && run_sql "$ADMIN" -e 'SELECT 1' >/dev/null 2>&1; do
  sleep 1
done

pending_role="" file="" pos="" gtid=""
if [[ -f "$PENDING_FILE" ]]; then
  pending_role=replica
  while IFS='=' read -r key value; do
    case "$key" in
    role) pending_role="$value" ;;
    file) file="$value" ;;
    pos) pos="$value" ;;
    gtid) gtid="$value" ;;
    esac
  done <"$PENDING_FILE"
fi
if (($(ordinal) == PRIMARY_ORDINAL)); then
  if [[ "$pending_role" == primary ]]; then
    take_over "$gtid"
  else
    promote local
  fi
  printf 'primary\n' >"$ROLE_FILE"
else
  if [[ -n "$pending_role" ]]; then
    follow_clone "$file" "$pos" "$gtid"
  else
    if [[ "${MYSQLGEN_GTID:-OFF}" == ON ]]; then
      until extra="$(errant 2>/dev/null)"; do
        log "waiting for the primary $PRIMARY_HOST, to compare GTIDs with it"
        sleep 5
      done
      if [[ -n "$extra" ]]; then
        log "errant GTIDs: this member holds $extra, which the primary $PRIMARY_HOST lacks"
        reclone
      fi
    fi
    follow_primary
  fi
  printf 'replica\n' >"$ROLE_FILE"
fi
# Renamed, not removed: it records where this member started.
[[ -f "$PENDING_FILE" ]] && mv "$PENDING_FILE" "$PENDING_FILE.applied"

check_require_tls
if (($(ordinal) == PRIMARY_ORDINAL)); then
  # The managed accounts follow the Secret on every start (and live: see
  # watch_mounts); replicas get the statements by replication.
  ensure_local_admin
  apply_managed_passwords
  apply_accounts
  run_init_sql
else
  # A clone carries its donor's marker; only the primary's counts.
  rm -f "$INIT_SQL_PENDING"
  # Replication that predates spec.tls (or a rotated replication password)
  # is re-pointed here, keeping its place; the watcher retries what the
  # primary does not accept yet.
  ensure_replication_tls || log "replication keeps its settings for now; the watcher retries"
fi

# Replicas start with skip-replica-start, so that a clone's stale settings
# never run before the lines above; replication starts here, on every start.
if (($(ordinal) != PRIMARY_ORDINAL)); then
  log "starting replication"
  run_sql "$ADMIN" -e "$SQL_START"
fi

# One socket for both address families where the kernel has IPv6 (an
# IPv6-only cluster must reach it, and so must an IPv4 one); IPv4 alone where
# it has not (booted with ipv6.disable=1), since no IPv6 socket can be made.
# With TLS the listener is mutual TLS with the members' certificate: a peer
# without a certificate from the cluster's CA is refused before the greeting.
listen="TCP-LISTEN:${MYSQLGEN_BACKUP_PORT:?}"
[[ -e /proc/net/if_inet6 ]] && listen="TCP6-LISTEN:$MYSQLGEN_BACKUP_PORT,ipv6only=0"
if [[ "$TLS" == ON ]]; then
  listen="OPENSSL-LISTEN:$MYSQLGEN_BACKUP_PORT,verify=1,cafile=$TLS_DIR/ca.crt,cert=$TLS_DIR/tls.crt,key=$TLS_DIR/tls.key"
  [[ -e /proc/net/if_inet6 ]] && listen+=",pf=ip6,ipv6only=0"
fi
log "serving backups on port $MYSQLGEN_BACKUP_PORT (${listen%%[-:]*})"
# The watcher applies changed Secrets and renewed certificates; socat reads
# its certificate once, so the watcher stops it after a renewal and it is
# started again here. Any other end of the listener ends the container.
watch_mounts &
watcher=$!
listener=""
trap 'kill "$watcher" ${listener:+"$listener"} 2>/dev/null; exit 0' TERM INT
while :; do
  # Both directions: the peer answers the challenge before the stream. fork
  # serves one clone after another; the script path carries no spaces, so
  # EXEC needs no shell, and bash runs it whatever its file mode.
  socat "$listen,reuseaddr,fork" "EXEC:bash $0 serve" &
  listener=$!
  printf '%d\n' "$listener" >"$LISTENER_PID_FILE"
  wait "$listener" || true
  if [[ -f "$LISTENER_RESTART" ]]; then
    rm -f "$LISTENER_RESTART"
    log "restarting the backup listener with the renewed certificate"
    continue
  fi
  kill "$watcher" 2>/dev/null || true
  die "the backup listener exited"
done
