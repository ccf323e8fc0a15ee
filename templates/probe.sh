#!/bin/bash
# probe: the containers' exec probes. Every check logs in with a password (a
# refused login fails the probe, unlike mysqladmin ping) read from a client
# option file, never from the command line where ps would show it.
#   probe.sh live      the server answers an authenticated query
#   probe.sh ready     live, and on a replica: both replication threads run
#                      and the lag is at most MYSQLGEN_MAX_LAG_SECONDS
#   probe.sh backup    the sidecar listens on the backup port
# shellcheck source-path=SCRIPTDIR
source "${0%/*}/common.sh"

case "${1:-}" in
live)
  run_sql "$ROOT_CNF" -N -B -e 'SELECT 1' >/dev/null
  ;;
ready)
  run_sql "$ROOT_CNF" -N -B -e 'SELECT 1' >/dev/null
  (($(ordinal) == 0)) && exit 0
  status="$(run_sql "$ROOT_CNF" -E -e "$SQL_STATUS")"
  [[ -n "$status" ]] || die "replication is not configured"
  [[ "$status" =~ _IO_Running:\ Yes ]] || die "replication I/O thread is not running"
  [[ "$status" =~ _SQL_Running:\ Yes ]] || die "replication SQL thread is not running"
  [[ "$status" =~ Seconds_Behind_(Master|Source):\ ([0-9]+) ]] || die "replication lag is unknown"
  lag="${BASH_REMATCH[2]}"
  ((lag <= ${MYSQLGEN_MAX_LAG_SECONDS:?})) || die "replication lag ${lag}s exceeds ${MYSQLGEN_MAX_LAG_SECONDS}s"
  ;;
backup)
  # /proc/net/tcp lists sockets in hex; state 0A is LISTEN. Read in bash:
  # the backup images need no grep, and no connection is made (one would
  # start a backup).
  port="$(printf '%04X' "${MYSQLGEN_BACKUP_PORT:?}")"
  for table in /proc/net/tcp /proc/net/tcp6; do
    [[ -r "$table" ]] || continue
    while read -r _ local _ state _; do
      [[ "$local" == *":$port" && "$state" == 0A ]] && exit 0
    done <"$table"
  done
  die "nothing listens on port $MYSQLGEN_BACKUP_PORT"
  ;;
*)
  die "usage: ${0##*/} live|ready|backup"
  ;;
esac
