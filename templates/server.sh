#!/bin/bash
# server: the server container's command. The binary's name is the flavor's;
# exec hands it the pod's signals, so SIGTERM shuts InnoDB down cleanly.
# shellcheck source-path=SCRIPTDIR
source "${0%/*}/common.sh"

[[ -f "$MY_CNF" ]] || die "$MY_CNF is missing: init-mysql has not run"
if [[ -f "$RECLONE_FILE" ]]; then
  log "waiting while the sidecar clones afresh (this member held errant transactions)"
  while [[ -f "$RECLONE_FILE" ]]; do sleep 2; done
fi
args=(--defaults-file="$MY_CNF")
# Replicas run with skip-replica-start (replica.cnf), so that a fresh clone's
# stale settings never run before the sidecar points replication at the
# primary. Once it has, for this data directory, the server resumes
# replication by itself: when only this container restarts, the sidecar does
# not run again, and nothing else would start the threads.
role=""
[[ -f "$ROLE_FILE" ]] && role="$(<"$ROLE_FILE")"
if (($(ordinal) != PRIMARY_ORDINAL)) && [[ "$role" == replica && ! -f "$PENDING_FILE" ]]; then
  args+=(--loose-skip-slave-start=OFF --loose-skip-replica-start=OFF)
fi
# A member that is to be the primary but was not (the primary moved here, or
# it was freshly cloned after its volume was lost) starts read-only and
# replicating nothing: the sidecar fences the old primary, catches up, and
# only then lets it take writes.
if (($(ordinal) == PRIMARY_ORDINAL)) && [[ "$role" != primary || -f "$PENDING_FILE" ]]; then
  args+=(--read-only=ON --loose-skip-slave-start=ON --loose-skip-replica-start=ON)
fi
exec "$MYSQLD" "${args[@]}"
