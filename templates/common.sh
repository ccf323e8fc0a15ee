#!/bin/bash
# Shared by the mysqlgen scripts; sourced, never run. Every parameter comes from
# the container's environment, set by the renderer:
#   MYSQLGEN_FLAVOR      mysql | mariadb        (tool names, bootstrap command)
#   MYSQLGEN_DIALECT     mysql57 | mysql80 | mysql84 | mariadb   (SQL words)
#   MYSQLGEN_GTID        ON | OFF               (GTID or binlog-position replication)
#   MYSQLGEN_CONF_DIR    emptyDir the init container writes my.cnf and client files into
#   MYSQLGEN_CONFIG_DIR  ConfigMap volume with my.cnf, primary.cnf, replica.cnf
#   MYSQLGEN_SECRET_DIR  Secret volume with root-password, replication-password, backup-password
#   MYSQLGEN_DATA_ROOT   the PVC mount; the data directory is data/ inside it
#   MYSQLGEN_SOCKET      the server's socket, on an emptyDir shared by the containers
#   MYSQLGEN_PRIMARY_HOST, MYSQLGEN_SERVICE, MYSQLGEN_BACKUP_PORT, MYSQLGEN_MAX_LAG_SECONDS
#   MYSQLGEN_METRICS     ON | OFF               (the exporter's user and client file)
# shellcheck disable=SC2034 # variables are used by the scripts that source this file
set -euo pipefail

log() { printf '%s %s\n' "${0##*/}:" "$*" >&2; }
die() { log "error: $*"; exit 1; }

: "${MYSQLGEN_FLAVOR:?}" "${MYSQLGEN_DIALECT:?}" "${MYSQLGEN_CONF_DIR:?}" "${MYSQLGEN_DATA_ROOT:?}"

# The data directory only ever appears complete: bootstrap and clone build it
# in a temporary directory on the same volume and rename it into place.
DATA_DIR="$MYSQLGEN_DATA_ROOT/data"
STAGING_DIR="$MYSQLGEN_DATA_ROOT/.staging"
# Written by clone-mysql with the coordinates the clone was taken at; the
# sidecar turns it into a replication source once, then renames it.
PENDING_FILE="$DATA_DIR/mysqlgen-replication-pending"
ROOT_CNF="$MYSQLGEN_CONF_DIR/root.cnf"
BACKUP_CNF="$MYSQLGEN_CONF_DIR/backup.cnf"
METRICS_CNF="$MYSQLGEN_CONF_DIR/metrics.cnf"
MY_CNF="$MYSQLGEN_CONF_DIR/my.cnf"

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
  SQL_RESET_GTIDS="RESET MASTER" ;;
mysql80)
  SQL_CHANGE_SOURCE="CHANGE REPLICATION SOURCE TO" SQL_SRC=SOURCE
  SQL_START="START REPLICA" SQL_STOP="STOP REPLICA" SQL_STATUS="SHOW REPLICA STATUS"
  SQL_RESET_GTIDS="RESET MASTER" ;;
mysql84)
  SQL_CHANGE_SOURCE="CHANGE REPLICATION SOURCE TO" SQL_SRC=SOURCE
  SQL_START="START REPLICA" SQL_STOP="STOP REPLICA" SQL_STATUS="SHOW REPLICA STATUS"
  SQL_RESET_GTIDS="RESET BINARY LOGS AND GTIDS" ;;
*) die "unknown MYSQLGEN_DIALECT '$MYSQLGEN_DIALECT'" ;;
esac

# ordinal prints the pod's ordinal from $HOSTNAME (no hostname binary needed).
ordinal() {
  [[ "${HOSTNAME:-}" =~ -([0-9]+)$ ]] || die "cannot take an ordinal from hostname '${HOSTNAME:-}'"
  echo "$((10#${BASH_REMATCH[1]}))"
}

# secret prints one key of the mounted Secret, refusing an empty value.
secret() {
  local f="${MYSQLGEN_SECRET_DIR:?}/$1" v
  [[ -r "$f" ]] || die "secret key '$1' is missing (expected file $f)"
  v="$(<"$f")"
  [[ -n "$v" ]] || die "secret key '$1' is empty"
  printf '%s' "$v"
}

# sql_quote prints its argument as an SQL string literal.
sql_quote() {
  local s="${1//\\/\\\\}"
  printf "'%s'" "${s//\'/\'\'}"
}

# cnf_quote prints its argument as a double-quoted option-file value.
cnf_quote() {
  local s="${1//\\/\\\\}"
  printf '"%s"' "${s//\"/\\\"}"
}

# run_sql runs SQL from stdin as the given client file's user; passwords never
# reach a command line, where ps would show them.
run_sql() {
  local cnf="$1"
  shift
  "$MYSQL" --defaults-extra-file="$cnf" --protocol=socket --socket="$MYSQLGEN_SOCKET" "$@"
}
