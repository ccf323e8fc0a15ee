#!/bin/bash
# clone-mysql: runs in the backup image after init-mysql. A replica with no
# data directory streams a hot backup from the previous ordinal (sparing the
# primary), prepares it, and only then moves it into place: an interrupted
# clone leaves nothing that looks complete, so the next attempt starts over.
# shellcheck source-path=SCRIPTDIR
source "${0%/*}/common.sh"

n="$(ordinal)"
if ((n == 0)); then
  exit 0 # the primary is bootstrapped by init-mysql
fi
if [[ -d "$DATA_DIR" ]]; then
  log "data directory present, no clone"
  exit 0
fi

donor="${HOSTNAME%-*}-$((n - 1)).${MYSQLGEN_SERVICE:?}"
log "cloning from $donor:${MYSQLGEN_BACKUP_PORT:?}"
rm -rf "$STAGING_DIR"
mkdir -p "$STAGING_DIR"
socat -u "TCP:$donor:$MYSQLGEN_BACKUP_PORT,connect-timeout=10" STDOUT |
  "$STREAM_TOOL" -x -C "$STAGING_DIR"

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
if ((n > 1)); then
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
printf 'file=%s\npos=%s\ngtid=%s\n' "$file" "$pos" "$gtid" >"$STAGING_DIR/${PENDING_FILE##*/}"

# MySQL keeps its server UUID in auto.cnf; a copy would give the replica its
# donor's, and replication refuses a source with the replica's own UUID.
rm -f "$STAGING_DIR/auto.cnf"
mv "$STAGING_DIR" "$DATA_DIR"
log "clone complete (file=$file pos=$pos gtid=$gtid)"
