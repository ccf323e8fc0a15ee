#!/bin/bash
# clone-mysql: runs in the backup image after init-mysql. A replica with no
# data directory streams a hot backup from the previous ordinal (sparing the
# primary), prepares it, and only then moves it into place: an interrupted
# clone leaves nothing that looks complete, so the next attempt starts over.
# shellcheck source-path=SCRIPTDIR
source "${0%/*}/common.sh"

n="$(ordinal)"
if [[ -d "$DATA_DIR" ]]; then
  log "data directory present, no clone"
  exit 0 # or bootstrapped by init-mysql: a new cluster's primary
fi

# most_advanced prints the ordinal of the member that holds the most of the
# primary's history. It waits while members exist but none answers (a
# partition, or a whole cluster restarting): cloning nothing, or starting
# empty, would lose what they hold. Members that stay silent for two minutes
# while others answer are passed over, and said so.
most_advanced() {
  local start=$SECONDS peers k p best="" best_p=-1 silent=""
  while :; do
    peers="$(existing_peers)" best="" best_p=-1 silent=""
    for k in $peers; do
      if p="$(progress "$k" 2>/dev/null)"; then
        if ((p > best_p)); then best="$k" best_p="$p"; fi
      else
        silent+=" $k"
      fi
    done
    if [[ -n "$best" && (-z "$silent" || $((SECONDS - start)) -ge 120) ]]; then
      [[ -z "$silent" ]] || log "members$silent do not answer after 120 s: passing them over"
      log "member $best holds the most (progress $best_p)"
      printf '%d' "$best"
      return
    fi
    log "waiting for members to answer (exist: ${peers//$'\n'/ }; silent:${silent:- all})"
    sleep 5
  done
}

# A replica clones its predecessor (sparing the primary); a primary whose
# volume was lost clones the member that holds the most.
if ((n == PRIMARY_ORDINAL)); then
  log "the primary has no data directory, and other members exist"
  donor_ordinal="$(most_advanced)"
else
  donor_ordinal=$((n > 0 ? n - 1 : 1))
fi
donor="$(peer_host "$donor_ordinal")"
clone_key=""
read_secret clone_key replication-password
log "cloning from $donor:${MYSQLGEN_BACKUP_PORT:?}"
rm -rf "$STAGING_DIR"
mkdir -p "$STAGING_DIR"
# The exchange common.sh describes, then the stream. bash reads a pipe one
# byte at a time, so the stream tool gets every byte after the proof line.
coproc DONOR { exec socat "$(peer_socat_address "$donor" "$MYSQLGEN_BACKUP_PORT")" STDIO; }
socat_pid="$DONOR_PID" # bash unsets DONOR_PID when the coprocess ends
banner=""
read -r -t 30 banner <&"${DONOR[0]}" || true
[[ "$banner" =~ ^$CLONE_BANNER\ ([0-9a-f]{32})$ ]] || die "$donor:$MYSQLGEN_BACKUP_PORT did not greet as a mysqlgen backup port"
donor_nonce="${BASH_REMATCH[1]}"
peer_nonce="$(nonce)"
answer="$(hmac_sha256 "$clone_key" "peer $donor_nonce $peer_nonce")"
expected="$(hmac_sha256 "$clone_key" "donor $donor_nonce $peer_nonce")"
printf '%s %s\n' "$peer_nonce" "$answer" >&"${DONOR[1]}"
proof=""
read -r -t 30 proof <&"${DONOR[0]}" || true
[[ -n "$proof" ]] || die "$donor refused this member: do both hold the same replication-password?"
[[ "$proof" == "$expected" ]] || die "$donor did not prove that it holds the cluster's replication-password"
"$STREAM_TOOL" -x -C "$STAGING_DIR" <&"${DONOR[0]}"
wait "$socat_pid" || true # its exit says nothing the checks below do not

# The backup tools write their info files last (MariaDB 11 renames them):
# without them the stream was cut short, whatever the exit codes said.
info=""
for prefix in xtrabackup mariadb_backup; do
  [[ -f "$STAGING_DIR/${prefix}_checkpoints" ]] && info="$prefix"
done
[[ -n "$info" ]] || die "stream from $donor ended before the backup was complete"

"$BACKUP_TOOL" --prepare --target-dir="$STAGING_DIR"

# Coordinates for the sidecar. A clone of a replica carries the primary's
# coordinates in *_slave_info; a clone of the primary in *_binlog_info, whose
# third field (GTID set) is optional, so the fields are read one by one.
file="" pos="" gtid=""
if [[ -f "$STAGING_DIR/${info}_binlog_info" ]]; then
  # A GTID set of several sources spans lines ("uuid1:1-5,\nuuid2:1-3").
  binlog_info="$(<"$STAGING_DIR/${info}_binlog_info")"
  read -r file pos gtid <<<"${binlog_info//$'\n'/ }" || true
  gtid="${gtid// /}"
fi
slave_info="$STAGING_DIR/${info}_slave_info"
role=replica
((n == PRIMARY_ORDINAL)) && role=primary
# A replica cloned from another replica takes the primary's coordinates the
# donor had; a primary keeps the history its donor logged (log-replica-updates).
if [[ "$role" == replica && "$donor_ordinal" != "$PRIMARY_ORDINAL" ]]; then
  # The donor's own binlog coordinates mean nothing on the primary.
  file="" pos="" text=""
  [[ -f "$slave_info" ]] && text="$(<"$slave_info")"
  if [[ "$text" =~ _LOG_FILE[[:space:]]*=[[:space:]]*\'([^\']+)\' ]]; then file="${BASH_REMATCH[1]}"; fi
  if [[ "$text" =~ _LOG_POS[[:space:]]*=[[:space:]]*([0-9]+) ]]; then pos="${BASH_REMATCH[1]}"; fi
  if [[ "$text" =~ gtid_slave_pos[[:space:]]*=[[:space:]]*\'([^\']*)\' ]]; then gtid="${BASH_REMATCH[1]}"; fi
fi
if [[ "${MYSQLGEN_GTID:-OFF}" == ON ]]; then
  # An empty GTID set is valid: nothing was logged before the backup.
  [[ -f "$STAGING_DIR/${info}_binlog_info" ]] || die "no binlog info in the backup from $donor"
else
  [[ -n "$file" && "$pos" =~ ^[0-9]+$ ]] || die "no binlog coordinates in the backup from $donor"
fi
printf 'role=%s\nfile=%s\npos=%s\ngtid=%s\n' "$role" "$file" "$pos" "$gtid" >"$STAGING_DIR/${PENDING_FILE##*/}"

# MySQL keeps its server UUID in auto.cnf; a copy would give the replica its
# donor's, and replication refuses a source with the replica's own UUID.
rm -f "$STAGING_DIR/auto.cnf"
mv "$STAGING_DIR" "$DATA_DIR"
log "clone complete (file=$file pos=$pos gtid=$gtid)"
