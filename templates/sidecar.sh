#!/bin/bash
# sidecar: runs in the backup image beside the server. It turns a fresh
# clone's coordinates into a replication source (once per clone), then serves
# hot backups to the next ordinal's clone-mysql on the backup port.
#   sidecar.sh        set up replication if pending, then listen
#   sidecar.sh serve  stream one backup to stdout (run by the listener per peer)
# shellcheck source-path=SCRIPTDIR
source "${0%/*}/common.sh"

if [[ "${1:-}" == serve ]]; then
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

: "${MYSQLGEN_SOCKET:?}" "${MYSQLGEN_PRIMARY_HOST:?}" "${MYSQLGEN_REPLICATION_USER:?}"

log "waiting for the local server"
until run_sql "$ROOT_CNF" -e 'SELECT 1' >/dev/null 2>&1; do
  sleep 2
done

if [[ -f "$PENDING_FILE" ]]; then
  file="" pos="" gtid=""
  while IFS='=' read -r key value; do
    case "$key" in
    file) file="$value" ;;
    pos) pos="$value" ;;
    gtid) gtid="$value" ;;
    esac
  done <"$PENDING_FILE"

  source_opts="${SQL_SRC}_HOST=$(sql_quote "$MYSQLGEN_PRIMARY_HOST"),
  ${SQL_SRC}_PORT=${MYSQLGEN_MYSQL_PORT:-3306},
  ${SQL_SRC}_USER=$(sql_quote "$MYSQLGEN_REPLICATION_USER"),
  ${SQL_SRC}_PASSWORD=$(sql_quote "$(secret replication-password)"),
  ${SQL_SRC}_CONNECT_RETRY=10"
  pre_sql=""
  if [[ "${MYSQLGEN_GTID:-OFF}" == ON && "$MYSQLGEN_FLAVOR" == mariadb ]]; then
    pre_sql="SET GLOBAL gtid_slave_pos = $(sql_quote "$gtid");"
    source_opts+=", MASTER_USE_GTID=slave_pos"
  elif [[ "${MYSQLGEN_GTID:-OFF}" == ON ]]; then
    # A restored backup must be told which transactions it already holds.
    # super_read_only would refuse the reset; read_only stays on.
    pre_sql="SET GLOBAL super_read_only = OFF; $SQL_RESET_GTIDS;
SET GLOBAL gtid_purged = $(sql_quote "$gtid"); SET GLOBAL super_read_only = ON;"
    source_opts+=", ${SQL_SRC}_AUTO_POSITION=1"
  else
    source_opts+=", ${SQL_SRC}_LOG_FILE=$(sql_quote "$file"), ${SQL_SRC}_LOG_POS=$pos"
  fi
  # caching_sha2_password over a plain connection needs the source's key.
  [[ "$SQL_SRC" == SOURCE ]] && source_opts+=", GET_SOURCE_PUBLIC_KEY=1"

  log "pointing replication at $MYSQLGEN_PRIMARY_HOST"
  # A clone of a replica carries the donor's stopped replication settings
  # (replicas run with skip-replica-start); stopping what is not running
  # only warns, on some servers it errs, either way it is fine here.
  run_sql "$ROOT_CNF" -e "$SQL_STOP" >/dev/null 2>&1 || true
  run_sql "$ROOT_CNF" <<SQL
$pre_sql
$SQL_CHANGE_SOURCE $source_opts;
SQL
  # Renamed, not removed: it records where this replica started.
  mv "$PENDING_FILE" "$PENDING_FILE.applied"
fi

# The exporter's user is made on the primary, and replicated; its password
# follows the Secret on every start. No data: process list, status, and
# performance_schema.
if [[ "${MYSQLGEN_METRICS:-OFF}" == ON ]] && (($(ordinal) == 0)); then
  log "ensuring the metrics user"
  metrics_user="$(sql_quote "${MYSQLGEN_METRICS_USER:?}")"
  metrics_pw="$(sql_quote "$(secret metrics-password)")"
  run_sql "$ROOT_CNF" <<SQL
CREATE USER IF NOT EXISTS $metrics_user@'localhost' IDENTIFIED BY $metrics_pw WITH MAX_USER_CONNECTIONS 3;
ALTER USER $metrics_user@'localhost' IDENTIFIED BY $metrics_pw;
GRANT ${MYSQLGEN_METRICS_PRIVILEGES:?} ON *.* TO $metrics_user@'localhost';
GRANT SELECT ON performance_schema.* TO $metrics_user@'localhost';
SQL
fi

# Replicas start with skip-replica-start, so that a clone's stale settings
# never run before the lines above; replication starts here, on every start.
if (($(ordinal) != 0)); then
  log "starting replication"
  run_sql "$ROOT_CNF" -e "$SQL_START"
fi

log "serving backups on port ${MYSQLGEN_BACKUP_PORT:?}"
# -U: data flows from the backup tool to the peer only. fork serves one clone
# after another; the script path carries no spaces, so EXEC needs no shell,
# and bash runs it whatever its file mode.
exec socat -U "TCP-LISTEN:$MYSQLGEN_BACKUP_PORT,reuseaddr,fork" "EXEC:bash $0 serve"
