#!/bin/bash
# server: the server container's command. The binary's name is the flavor's;
# exec hands it the pod's signals, so SIGTERM shuts InnoDB down cleanly.
# shellcheck source-path=SCRIPTDIR
source "${0%/*}/common.sh"

[[ -f "$MY_CNF" ]] || die "$MY_CNF is missing: init-mysql has not run"
exec "$MYSQLD" --defaults-file="$MY_CNF"
