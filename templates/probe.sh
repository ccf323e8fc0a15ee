#!/bin/bash
# probe: the containers' exec probes. Every check logs in (a refused login
# fails the probe, unlike mysqladmin ping) as the socket-authenticated local
# admin, whose login no password rotation can break, or, where the server
# does not know it yet, with root's password from a client option file,
# never from the command line where ps would show it. Sockets are a secure
# transport to both servers, so require_secure_transport changes nothing.
#   probe.sh live      the server answers an authenticated query
#   probe.sh ready     live, and on a replica: both replication threads run
#                      and the lag is at most MYSQLGEN_MAX_LAG_SECONDS (from
#                      whichever member it follows: while the primary moves,
#                      a replica the move re-pointed is as healthy as one the
#                      rollout restarted)
#   probe.sh backup    the sidecar's backup port answers on IPv4, and on IPv6
#                      where the pod has it
# shellcheck source-path=SCRIPTDIR
source "${0%/*}/common.sh"

case "${1:-}" in
live)
  pick_admin # has logged in when it picks the local admin
  [[ "$ADMIN" == "$ADMIN_CNF" ]] || run_sql "$ROOT_CNF" -N -B -e 'SELECT 1' >/dev/null
  ;;
ready)
  pick_admin
  [[ "$ADMIN" == "$ADMIN_CNF" ]] || run_sql "$ROOT_CNF" -N -B -e 'SELECT 1' >/dev/null
  # The primary stays ready while fenced or taking over (read-only): the
  # StatefulSet controller halts a rolling update at an unready pod, and a
  # fenced old primary must still be restarted by it.
  (($(ordinal) == PRIMARY_ORDINAL)) && exit 0
  status="$(run_sql "$ADMIN" -E -e "$SQL_STATUS")"
  if [[ -z "$status" ]]; then
    # The primary moved here ahead of this pod's own restart (a member
    # restarted earlier in the rollout promoted it): it takes writes and
    # must stay ready, or the StatefulSet controller halts the rollout.
    ro="$(run_sql "$ADMIN" -N -B -e 'SELECT @@read_only')"
    [[ "$ro" == 0 ]] && exit 0
    die "replication is not configured"
  fi
  [[ "$status" =~ _IO_Running:\ Yes ]] || die "replication I/O thread is not running"
  [[ "$status" =~ _SQL_Running:\ Yes ]] || die "replication SQL thread is not running"
  [[ "$status" =~ Seconds_Behind_(Master|Source):\ ([0-9]+) ]] || die "replication lag is unknown"
  lag="${BASH_REMATCH[2]}"
  ((lag <= ${MYSQLGEN_MAX_LAG_SECONDS:?})) || die "replication lag ${lag}s exceeds ${MYSQLGEN_MAX_LAG_SECONDS}s"
  ;;
backup)
  # The listener greets every connection with one line and starts a backup
  # only for a peer that answers the challenge, so connecting is safe: read
  # the greeting on each address family this pod has (::1 on its loopback
  # when it has IPv6), then hang up.
  # With TLS the greeting comes over mutual TLS, the listener's certificate
  # checked for this member's own name; stdin's end makes the peer hang up.
  greets() {
    local banner="" addr
    if [[ "$TLS" == ON ]]; then
      addr="$(peer_socat_address "$1" "${MYSQLGEN_BACKUP_PORT:?}"),commonname=$(peer_host "$(ordinal)")"
      [[ "$1" == *:* ]] && addr="${addr/:$1:/:[$1]:}"
      banner="$(socat -t 2 -T 4 STDIO "$addr" </dev/null 2>&1 | head -n 1)" || true
    else
      exec 3<>"/dev/tcp/$1/${MYSQLGEN_BACKUP_PORT:?}" || die "nothing listens on $1 port $MYSQLGEN_BACKUP_PORT"
      read -r -t 3 banner <&3 || true
      exec 3<&-
    fi
    [[ "$banner" == "$CLONE_BANNER "* ]] || die "the backup port on $1 did not greet${banner:+: $banner}"
  }
  greets 127.0.0.1
  if [[ -r /proc/net/if_inet6 ]]; then
    while read -r addr _ _ _ _ dev; do
      if [[ "$dev" == lo && "$addr" == 00000000000000000000000000000001 ]]; then
        greets ::1
      fi
    done </proc/net/if_inet6
  fi
  ;;
*)
  die "usage: ${0##*/} live|ready|backup"
  ;;
esac
