#!/bin/bash
# backup: runs in the backup image, in the pod of the <cluster>-backup
# CronJob (or in clone-mysql, to restore). It has no API access and no root
# password; it takes a hot backup from a member's backup port with the clone
# exchange of common.sh, proving the replication password.
#   backup.sh           take one backup, then apply the retention
#   backup.sh list      print the complete backups, oldest first
#   backup.sh restore   (clone-mysql) fetch, verify and prepare the backup
#                       MYSQLGEN_RESTORE_BACKUP names into the data directory
# Environment, besides common.sh's: MYSQLGEN_BACKUP_SOURCE (replica|primary),
# MYSQLGEN_BACKUP_COMPRESSION (none|gzip|zstd), MYSQLGEN_BACKUP_KEEP and
# MYSQLGEN_BACKUP_MAX_AGE_DAYS (0 = no limit), MYSQLGEN_REPLICAS,
# MYSQLGEN_STATEFULSET and MYSQLGEN_SERVICE (as rendered), MYSQLGEN_CRONJOB
# and MYSQLGEN_JOB_NAME (see renamed_members); the destination:
# MYSQLGEN_BACKUP_DIR (a volume), or MYSQLGEN_S3_ENDPOINT, _BUCKET, _PREFIX,
# _REGION, MYSQLGEN_RCLONE and the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
# of the bucket.
#
# Layout under the destination's root: <name>/backup.xbstream[.gz|.zst] and
# <name>/mysqlgen-backup.txt, the manifest, written last, after the stored
# stream was verified: a backup is complete exactly when its manifest
# exists. <name> is the UTC start time, YYYYMMDDTHHMMSSZ, so names sort by
# time. On a volume the run writes into .partial-<name>/ and renames it.

# A Job's pod has neither the members' generated files nor their data
# volume; clone-mysql, which runs this for a restore, has both.
: "${MYSQLGEN_GENERATED_DIR:=/tmp}" "${MYSQLGEN_DATA_ROOT:=/tmp}"

# renamed_members: a kustomize namePrefix or nameSuffix renames the
# StatefulSet, its Service and the CronJob alike, but no value in an env.
# The Job's name (MYSQLGEN_JOB_NAME, from the label the Job controller puts
# on its pods) is the CronJob's and "-<n>" (or "-<word>", made by hand), so
# what precedes the rendered CronJob name MYSQLGEN_CRONJOB in it precedes
# the cluster's name in the members', and what follows it, less one or more
# "-<word>", follows it. Each candidate, longest first, is kept when a
# member's name resolves (the headless Service publishes every pod); none
# resolving leaves the rendered names.
renamed_members() {
  local job="${MYSQLGEN_JOB_NAME:-}" cj="${MYSQLGEN_CRONJOB:-}" prefix suffix k sts svc
  [[ -n "$job" && -n "$cj" && "$job" == *"$cj"* ]] || return 0
  prefix="${job%%"$cj"*}"
  suffix="${job#*"$cj"}"
  while :; do
    sts="$prefix${MYSQLGEN_STATEFULSET:?}$suffix" svc="$prefix${MYSQLGEN_SERVICE:?}$suffix"
    for ((k = 0; k < ${MYSQLGEN_REPLICAS:-1}; k++)); do
      if getent hosts "$sts-$k.$svc" >/dev/null; then
        MYSQLGEN_STATEFULSET="$sts" MYSQLGEN_SERVICE="$svc"
        return 0
      fi
    done
    [[ -n "$suffix" ]] || return 0
    if [[ "$suffix" == *-* ]]; then suffix="${suffix%-*}"; else suffix=""; fi
  done
}
renamed_members
# shellcheck source-path=SCRIPTDIR
source "${0%/*}/common.sh"

MANIFEST=mysqlgen-backup.txt
# In a restored data directory: which backup it came from (init-mysql reads it).
RESTORE_MARKER=mysqlgen-restored
NAME_RE='^[0-9]{8}T[0-9]{6}Z$'
# Scratch files (fifos, the info files, rclone's empty config) on /tmp,
# an emptyDir: the root file system is read-only.
WORK="${TMPDIR:-/tmp}/mysqlgen-backup.$$"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

# --- destinations: a mounted volume, or an S3 bucket through rclone ---------

if [[ -n "${MYSQLGEN_BACKUP_DIR:-}" ]]; then
  DEST=volume
else
  DEST=s3
  : "${MYSQLGEN_S3_ENDPOINT:?}" "${MYSQLGEN_S3_BUCKET:?}" "${MYSQLGEN_RCLONE:?}"
  # An rclone remote defined by environment only (no config file): the keys
  # come from AWS_* (env_auth), path-style requests, which every
  # S3-compatible server answers. Streamed uploads of unknown size go in
  # parts of 32 MiB, at most 10000 of them (320 GiB).
  export RCLONE_CONFIG="$WORK/rclone.conf" RCLONE_CACHE_DIR="$WORK/rclone-cache"
  export RCLONE_CONFIG_BACKUP_TYPE=s3 RCLONE_CONFIG_BACKUP_PROVIDER=Other RCLONE_CONFIG_BACKUP_ENV_AUTH=true
  export RCLONE_CONFIG_BACKUP_ENDPOINT="$MYSQLGEN_S3_ENDPOINT" RCLONE_CONFIG_BACKUP_REGION="${MYSQLGEN_S3_REGION:-us-east-1}"
  export RCLONE_CONFIG_BACKUP_FORCE_PATH_STYLE=true RCLONE_CONFIG_BACKUP_CHUNK_SIZE=32M RCLONE_CONFIG_BACKUP_UPLOAD_CONCURRENCY=2
  : >"$RCLONE_CONFIG"
  S3_ROOT="backup:$MYSQLGEN_S3_BUCKET"
  [[ -n "${MYSQLGEN_S3_PREFIX:-}" ]] && S3_ROOT+="/${MYSQLGEN_S3_PREFIX%/}"
fi

rclone() { "$MYSQLGEN_RCLONE" --retries 3 --low-level-retries 10 "$@"; }

# dest_names prints the names of the backup directories, complete or not,
# with "complete" or "partial" after each, oldest first.
dest_names() {
  local d n
  if [[ "$DEST" == volume ]]; then
    for d in "$MYSQLGEN_BACKUP_DIR"/*/ "$MYSQLGEN_BACKUP_DIR"/.partial-*/; do
      [[ -d "$d" ]] || continue
      n="${d%/}" n="${n##*/}"
      if [[ "$n" == .partial-* ]]; then
        printf '%s partial\n' "$n"
      elif [[ "$n" =~ $NAME_RE ]]; then
        [[ -f "$d$MANIFEST" ]] && printf '%s complete\n' "$n" || printf '%s partial\n' "$n"
      fi
    done | sort
    return
  fi
  # One listing of every object: a name is complete when its manifest is there.
  local line
  local -A seen=()
  while IFS= read -r line; do
    n="${line%%/*}"
    [[ "$n" =~ $NAME_RE && "$line" == */* ]] || continue
    [[ "${line#*/}" == "$MANIFEST" ]] && seen[$n]=complete || seen[$n]="${seen[$n]:-partial}"
  done < <(rclone lsf -R --files-only "$S3_ROOT")
  for n in "${!seen[@]}"; do printf '%s %s\n' "$n" "${seen[$n]}"; done | sort
}

# read_manifest NAME prints a complete backup's manifest.
read_manifest() {
  if [[ "$DEST" == volume ]]; then
    cat "$MYSQLGEN_BACKUP_DIR/$1/$MANIFEST"
  else
    rclone cat "$S3_ROOT/$1/$MANIFEST"
  fi
}

# manifest_get KEY reads one key of a manifest on stdin.
manifest_get() {
  local k v
  while IFS='=' read -r k v; do
    [[ "$k" == "$1" ]] && { printf '%s' "$v"; return 0; }
  done
  return 1
}

# delete_backup NAME removes a backup, its manifest first: from the first
# step on it no longer counts as complete.
delete_backup() {
  if [[ "$DEST" == volume ]]; then
    rm -f "$MYSQLGEN_BACKUP_DIR/$1/$MANIFEST"
    rm -rf "${MYSQLGEN_BACKUP_DIR:?}/$1"
  else
    rclone deletefile "$S3_ROOT/$1/$MANIFEST" 2>/dev/null || true
    rclone purge "$S3_ROOT/$1"
  fi
}

# --- the backup port ---------------------------------------------------------

# open_source HOST MODE runs the exchange of common.sh with HOST's backup
# port, asking for MODE (replica: only if that member is a healthy
# replica; any). On success the stream follows on ${SRC[0]}; it returns 2
# when the member answered "not ready", 1 on any other failure.
open_source() {
  local host="$1" mode="$2" key="" banner="" line="" donor_nonce peer_nonce mac status
  read_secret key replication-password
  coproc SRC { exec socat "$(peer_socat_address "$host" "${MYSQLGEN_BACKUP_PORT:?}")" STDIO; }
  SRC_PID_SAVED="$SRC_PID"
  read -r -t 30 banner <&"${SRC[0]}" || true
  if [[ ! "$banner" =~ ^$CLONE_BANNER\ ([0-9a-f]{32})$ ]]; then
    log "$host:$MYSQLGEN_BACKUP_PORT did not greet as a mysqlgen backup port"
    close_source
    return 1
  fi
  donor_nonce="${BASH_REMATCH[1]}"
  peer_nonce="$(nonce)"
  printf '%s %s %s\n' "$peer_nonce" "$(hmac_sha256 "$key" "peer $donor_nonce $peer_nonce $mode")" "$mode" >&"${SRC[1]}"
  read -r -t 60 line <&"${SRC[0]}" || true
  read -r mac status <<<"$line"
  if [[ -z "$status" || "$mac" != "$(hmac_sha256 "$key" "donor $donor_nonce $peer_nonce $mode $status")" ]]; then
    log "$host did not prove that it holds the cluster's replication-password (or is older than this script)"
    close_source
    return 1
  fi
  if [[ "$status" != ready ]]; then
    log "$host: $status for a $mode backup"
    close_source
    return 2
  fi
}

close_source() {
  kill "$SRC_PID_SAVED" 2>/dev/null || true
  wait "$SRC_PID_SAVED" 2>/dev/null || true
}

# pick_source opens the stream of the member to back up: with source
# replica, a ready replica, highest ordinal first (the one that clones no
# one and serves the fewest), and the primary only when none is ready.
pick_source() {
  local k
  if [[ "${MYSQLGEN_BACKUP_SOURCE:-replica}" == replica ]]; then
    for ((k = ${MYSQLGEN_REPLICAS:?} - 1; k >= 0; k--)); do
      ((k == PRIMARY_ORDINAL)) && continue
      if open_source "$(peer_host "$k")" replica; then
        SOURCE_HOST="$(peer_host "$k")" SOURCE_ROLE=replica
        return 0
      fi
    done
    log "no replica is ready: backing up the primary"
  fi
  open_source "$PRIMARY_HOST" any || die "the primary $PRIMARY_HOST does not serve a backup"
  SOURCE_HOST="$PRIMARY_HOST" SOURCE_ROLE=primary
}

# --- the stream --------------------------------------------------------------

# walk_stream reads an xbstream on stdin (a copy of the stream, beside the
# one that is stored) chunk by chunk: it fails when the stream is not a
# sequence of whole chunks (cut short, or not xbstream), records in
# $WORK/closed each file that was closed (an end chunk), and keeps the
# backup tool's small info files in $WORK/meta. Chunk layout
# (extra/mariabackup/xbstream.h and xbstream_read.cc in MariaDB;
# storage/innobase/xtrabackup/src/xbstream.h in percona-xtrabackup):
# "XBSTCK01", flags (1), type (1: P payload, E end of file), path length
# (4, little endian), path; a payload chunk then has its length (8),
# offset (8), CRC32 (4) and the payload. The headers are read by bash
# itself, which reads a pipe a byte at a time; each payload is skipped by
# one head -c, which reads exactly that many bytes (the restore's
# extraction checks their CRC32s). A fork a chunk: a process each would
# cost more than the copy of a small file.
walk_stream() {
  local LC_ALL=C path len n=0 i
  local -a B
  mkdir -p "$WORK/meta"
  : >"$WORK/closed"
  while :; do
    if ! read_bytes 14; then
      ((${#B[@]} == 0)) && break # end of stream, between two chunks
      log "stream cut inside a chunk header"
      return 1
    fi
    # X B S T C K 0 1
    [[ "${B[*]:0:8}" == "88 66 83 84 67 75 48 49" ]] || { log "not an xbstream chunk at chunk $n"; return 1; }
    len=$((B[10] + (B[11] << 8) + (B[12] << 16) + (B[13] << 24)))
    ((len > 0 && len < 4096)) || { log "bad path length $len at chunk $n"; return 1; }
    path=""
    IFS= read -r -d '' -N "$len" path || true
    ((${#path} == len)) || { log "stream cut inside a chunk path"; return 1; }
    case "${B[9]}" in
    69) printf '%s\n' "$path" >>"$WORK/closed" ;; # E
    80) # P
      read_bytes 20 || { log "stream cut inside a payload header ($path)"; return 1; }
      len=0
      for ((i = 7; i >= 0; i--)); do len=$(((len << 8) + B[i])); done
      # A payload cut short is not counted here: every chunk after it is
      # then missing, among them the last info file's end, which is checked.
      if [[ "$path" =~ ^(xtrabackup|mariadb_backup)_(binlog_info|slave_info|checkpoints|info)$ ]]; then
        head -c "$len" >>"$WORK/meta/$path"
      else
        head -c "$len" >/dev/null
      fi
      ;;
    *) log "unknown chunk type ${B[9]} ($path)"; return 1 ;;
    esac
    n=$((n + 1))
  done
  log "stream: $n chunks, walked in $SECONDS s"
}

# read_bytes N reads N bytes from stdin into B as numbers. With NUL as the
# delimiter, a NUL byte reads as an empty string: every byte is seen.
read_bytes() {
  local c i
  B=()
  for ((i = 0; i < $1; i++)); do
    IFS= read -r -d '' -n 1 c || return 1
    if [[ -z "$c" ]]; then
      B+=(0)
    else
      printf -v c '%d' "'$c"
      B+=($((c & 255)))
    fi
  done
}

# info_prefix prints the prefix of the backup tool's info files present in
# $1 (MariaDB 11 renamed xtrabackup_* to mariadb_backup_*).
info_prefix() {
  local p
  for p in xtrabackup mariadb_backup; do
    [[ -f "$1/${p}_checkpoints" ]] && { printf '%s' "$p"; return 0; }
  done
  return 1
}

# coordinates DIR ROLE sets file, pos and gtid: where in the primary's
# history the backup in DIR stands. A replica's backup takes them from
# *_slave_info (the primary's coordinates), a primary's from *_binlog_info,
# whose optional third field is the GTID set (read field by field).
coordinates() {
  local dir="$1" role="$2" p text
  p="$(info_prefix "$dir")" || return 1
  file="" pos="" gtid=""
  if [[ -f "$dir/${p}_binlog_info" ]]; then
    text="$(<"$dir/${p}_binlog_info")"
    read -r file pos gtid <<<"${text//$'\n'/ }" || true
    gtid="${gtid// /}"
  fi
  if [[ "$role" == replica && -f "$dir/${p}_slave_info" ]]; then
    text="$(<"$dir/${p}_slave_info")"
    file="" pos=""
    if [[ "$text" =~ _LOG_FILE[[:space:]]*=[[:space:]]*\'([^\']+)\' ]]; then file="${BASH_REMATCH[1]}"; fi
    if [[ "$text" =~ _LOG_POS[[:space:]]*=[[:space:]]*([0-9]+) ]]; then pos="${BASH_REMATCH[1]}"; fi
    if [[ "$text" =~ gtid_slave_pos[[:space:]]*=[[:space:]]*\'([^\']*)\' ]]; then gtid="${BASH_REMATCH[1]}"; fi
  fi
  return 0
}

compressor() {
  case "${MYSQLGEN_BACKUP_COMPRESSION:-gzip}" in
  none) cat ;;
  # Level 1: the stream is mostly InnoDB pages; higher levels cost several
  # times the time for a few per cent.
  gzip) gzip -1 ;;
  zstd) zstd -q -3 -T0 ;;
  *) die "unknown MYSQLGEN_BACKUP_COMPRESSION '$MYSQLGEN_BACKUP_COMPRESSION'" ;;
  esac
}

suffix_of() {
  case "$1" in none) printf '' ;; gzip) printf '.gz' ;; zstd) printf '.zst' ;; esac
}

decompressor() {
  case "$1" in
  none) cat ;;
  gzip) gzip -dc ;;
  zstd) zstd -dcq ;;
  *) die "unknown compression '$1' in the manifest" ;;
  esac
}

# store NAME FILE writes stdin to the destination, under the run's own
# partial name on a volume.
store() {
  if [[ "$DEST" == volume ]]; then
    cat >"$MYSQLGEN_BACKUP_DIR/.partial-$1/$2"
  else
    rclone rcat "$S3_ROOT/$1/$2"
  fi
}

# fetch NAME FILE writes a stored file to stdout.
fetch() {
  if [[ "$DEST" == volume ]]; then
    local d="$MYSQLGEN_BACKUP_DIR/$1"
    [[ -d "$d" ]] || d="$MYSQLGEN_BACKUP_DIR/.partial-$1"
    cat "$d/$2"
  else
    rclone cat "$S3_ROOT/$1/$2"
  fi
}

# publish NAME writes the manifest ($WORK/manifest) last, then, on a volume,
# renames the partial directory to the backup's name.
publish() {
  if [[ "$DEST" == volume ]]; then
    local part="$MYSQLGEN_BACKUP_DIR/.partial-$1"
    cp "$WORK/manifest" "$part/$MANIFEST.tmp"
    sync "$part/$MANIFEST.tmp" "$part"/backup.*
    mv "$part/$MANIFEST.tmp" "$part/$MANIFEST"
    mv "$part" "$MYSQLGEN_BACKUP_DIR/$1"
    sync "$MYSQLGEN_BACKUP_DIR"
  else
    rclone copyto "$WORK/manifest" "$S3_ROOT/$1/$MANIFEST"
  fi
}

take_backup() {
  local name start stream_file sum size stored_sum comp
  comp="${MYSQLGEN_BACKUP_COMPRESSION:-gzip}"
  name="$(date -u +%Y%m%dT%H%M%SZ)"
  start=$SECONDS
  stream_file="backup.xbstream$(suffix_of "$comp")"
  pick_source
  log "source chosen after $((SECONDS - start)) s"
  [[ "$DEST" == volume ]] && mkdir "$MYSQLGEN_BACKUP_DIR/.partial-$name"
  log "backing up $SOURCE_HOST ($SOURCE_ROLE) to $name/$stream_file"
  # Beside the stored stream: its SHA-256, the raw stream's size, and the
  # walk through its chunks, each from a fifo, run in parallel.
  mkfifo "$WORK/sum.fifo" "$WORK/raw.fifo" "$WORK/walk.fifo"
  sha256sum <"$WORK/sum.fifo" >"$WORK/sum" &
  sum_pid=$!
  wc -c <"$WORK/raw.fifo" >"$WORK/raw_size" &
  raw_pid=$!
  walk_stream <"$WORK/walk.fifo" &
  walk_pid=$!
  # bash keeps a coprocess's descriptors from subshells: a copy is not.
  exec 7<&"${SRC[0]}"
  set +e
  tee "$WORK/walk.fifo" "$WORK/raw.fifo" <&7 | compressor | tee "$WORK/sum.fifo" | store "$name" "$stream_file"
  local rc=("${PIPESTATUS[@]}")
  wait "$walk_pid"
  rc+=($?)
  set -e
  exec 7<&-
  close_source
  wait "$sum_pid" "$raw_pid" || true
  log "stream ended after $((SECONDS - start)) s"
  [[ "${rc[*]}" == "0 0 0 0 0" ]] || die "backup $name failed (tee, compress, tee, store, walk: ${rc[*]}): not published"
  # The backup tool writes its info files last; a stream without them
  # stopped before the backup was complete, whatever else arrived.
  local p
  p="$(info_prefix "$WORK/meta")" || die "backup $name: the stream holds no ${p:-xtrabackup}_checkpoints: not published"
  grep -qx "${p}_info" "$WORK/closed" || die "backup $name: the stream ended before ${p}_info: not published"
  grep -qx "${p}_binlog_info" "$WORK/closed" || [[ "${MYSQLGEN_GTID:-OFF}" != ON ]] ||
    die "backup $name: no ${p}_binlog_info in the stream: not published"
  coordinates "$WORK/meta" "$SOURCE_ROLE"
  sum="$(cut -d' ' -f1 <"$WORK/sum")"
  # What was stored is read back whole: its size and SHA-256 must be what
  # was sent.
  mkfifo "$WORK/stored.fifo"
  wc -c <"$WORK/stored.fifo" >"$WORK/stored_size" &
  raw_pid=$!
  fetch "$name" "$stream_file" | tee "$WORK/stored.fifo" | sha256sum >"$WORK/stored_sum"
  wait "$raw_pid" || true
  stored_sum="$(cut -d' ' -f1 <"$WORK/stored_sum")"
  size="$(tr -d '[:space:]' <"$WORK/stored_size")"
  [[ "$stored_sum" == "$sum" && "$size" -gt 0 ]] || die "backup $name: the stored stream's SHA-256 $stored_sum is not the one sent ($sum): not published"
  {
    printf 'name=%s\nformat=xbstream\ncompression=%s\nfile=%s\n' "$name" "$comp" "$stream_file"
    printf 'size=%s\nsha256=%s\nraw_size=%s\n' "$size" "$sum" "$(tr -d '[:space:]' <"$WORK/raw_size")"
    printf 'flavor=%s\ndialect=%s\ngtid_mode=%s\n' "$MYSQLGEN_FLAVOR" "$MYSQLGEN_DIALECT" "${MYSQLGEN_GTID:-OFF}"
    printf 'source=%s\nsource_role=%s\nbinlog_file=%s\nbinlog_pos=%s\ngtid=%s\n' "$SOURCE_HOST" "$SOURCE_ROLE" "$file" "$pos" "$gtid"
    printf 'seconds=%s\nfinished=%s\n' "$((SECONDS - start))" "$(date -u +%Y%m%dT%H%M%SZ)"
  } >"$WORK/manifest"
  publish "$name"
  CURRENT="$name"
  log "backup $name complete: $size bytes ($comp), gtid=$gtid file=$file pos=$pos, $((SECONDS - start)) s"
}

# retention deletes complete backups beyond MYSQLGEN_BACKUP_KEEP (the
# oldest first) and older than MYSQLGEN_BACKUP_MAX_AGE_DAYS, never the one
# just taken, and the partial ones earlier runs left (a Job runs alone:
# concurrencyPolicy Forbid). Nothing else under the root is touched.
retention() {
  local keep="${MYSQLGEN_BACKUP_KEEP:-0}" days="${MYSQLGEN_BACKUP_MAX_AGE_DAYS:-0}" now n state
  local -a complete=()
  now="$(date -u +%s)"
  while read -r n state; do
    [[ -n "$n" ]] || continue
    if [[ "$state" == partial ]]; then
      [[ "$n" == "${CURRENT:-}" || "$n" == ".partial-${CURRENT:-}" ]] && continue
      log "retention: removing the partial backup $n"
      if [[ "$DEST" == volume ]]; then rm -rf "${MYSQLGEN_BACKUP_DIR:?}/$n"; else rclone purge "$S3_ROOT/$n"; fi
      continue
    fi
    complete+=("$n")
  done < <(dest_names)
  local i total=${#complete[@]} t
  for ((i = 0; i < total; i++)); do
    n="${complete[i]}"
    [[ "$n" == "${CURRENT:-}" ]] && continue
    if ((keep > 0 && total - i > keep)); then
      log "retention: removing $n (more than $keep backups)"
      delete_backup "$n"
      continue
    fi
    t="$(date -u -d "${n:0:4}-${n:4:2}-${n:6:2} ${n:9:2}:${n:11:2}:${n:13:2}" +%s)"
    if ((days > 0 && now - t > days * 86400)); then
      log "retention: removing $n (older than $days days)"
      delete_backup "$n"
    fi
  done
}

list_backups() {
  local n state m
  printf 'NAME\tSIZE\tCOMPRESSION\tSOURCE\tGTID\n'
  while read -r n state; do
    [[ "$state" == complete ]] || continue
    m="$(read_manifest "$n")"
    printf '%s\t%s\t%s\t%s\t%s\n' "$n" "$(manifest_get size <<<"$m")" "$(manifest_get compression <<<"$m")" \
      "$(manifest_get source <<<"$m")" "$(manifest_get gtid <<<"$m")"
  done < <(dest_names)
}

# restore (run by clone-mysql on a new cluster's primary): the backup that
# MYSQLGEN_RESTORE_BACKUP names (or the latest complete one) is fetched,
# its SHA-256 checked against the manifest, extracted and prepared in the
# staging directory; the pending file tells the sidecar to take over as
# the primary with the backup's GTID state; the marker names the backup;
# only then is it renamed into place.
restore() {
  local want="${MYSQLGEN_RESTORE_BACKUP:?}" name="" n state m sum got comp file
  while read -r n state; do
    [[ "$state" == complete ]] || continue
    if [[ "$want" == latest || "$n" == "$want" ]]; then name="$n"; fi
  done < <(dest_names)
  [[ -n "$name" ]] || die "no complete backup '$want' at the destination (backup.sh list shows them)"
  m="$(read_manifest "$name")"
  comp="$(manifest_get compression <<<"$m")" file="$(manifest_get file <<<"$m")" sum="$(manifest_get sha256 <<<"$m")"
  log "restoring backup $name ($file, $(manifest_get size <<<"$m") bytes, gtid=$(manifest_get gtid <<<"$m"))"
  rm -rf "$STAGING_DIR"
  mkdir -p "$STAGING_DIR"
  mkfifo "$WORK/sum.fifo"
  sha256sum <"$WORK/sum.fifo" >"$WORK/sum" &
  local sum_pid=$!
  set +e
  fetch "$name" "$file" | tee "$WORK/sum.fifo" | decompressor "$comp" | "$STREAM_TOOL" -x -C "$STAGING_DIR"
  local rc=("${PIPESTATUS[@]}")
  set -e
  wait "$sum_pid" || true
  got="$(cut -d' ' -f1 <"$WORK/sum")"
  [[ "$got" == "$sum" ]] || die "backup $name: SHA-256 $got, the manifest says $sum: not restoring"
  [[ "${rc[*]}" == "0 0 0 0" ]] || die "backup $name: fetch, tee, decompress, extract exited ${rc[*]}: not restoring"
  info_prefix "$STAGING_DIR" >/dev/null || die "backup $name holds no checkpoints file: not restoring"
  "$BACKUP_TOOL" --prepare --target-dir="$STAGING_DIR"
  file="$(manifest_get binlog_file <<<"$m")" || true
  printf 'role=primary\nfile=%s\npos=%s\ngtid=%s\n' "$file" "$(manifest_get binlog_pos <<<"$m")" \
    "$(manifest_get gtid <<<"$m")" >"$STAGING_DIR/${PENDING_FILE##*/}"
  printf 'restore=%s\nbackup=%s\n' "$want" "$name" >"$STAGING_DIR/$RESTORE_MARKER"
  rm -f "$STAGING_DIR/auto.cnf"
  mv "$STAGING_DIR" "$DATA_DIR"
  log "restore of $name complete"
}

case "${1:-}" in
"")
  [[ "$DEST" != volume || -d "$MYSQLGEN_BACKUP_DIR" ]] || die "MYSQLGEN_BACKUP_DIR $MYSQLGEN_BACKUP_DIR is not mounted"
  take_backup
  retention
  ;;
list) list_backups ;;
restore) restore ;;
*) die "usage: backup.sh [list]" ;;
esac
