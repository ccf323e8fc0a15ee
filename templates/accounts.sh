#!/bin/bash
# accounts: sourced by sidecar.sh (after common.sh), never run. It keeps the
# database's accounts equal to what the pod is given, on every start and
# live while the pod runs:
#   - the managed accounts (root, replication, backup, metrics) follow the
#     credentials Secret: the primary ALTERs them (replicas get the
#     statements by replication), every member rewrites its client option
#     files once the new password logs in, and replicas re-point
#     replication once the primary accepts the new replication password;
#   - the declared databases and users (spec.databases, spec.users) are made
#     on the primary from the config ConfigMap's "accounts" file, one item a
#     line (fields: see apply_accounts), their grants made exactly those
#     declared;
#   - spec.initSQL runs once, on the primary of a new cluster, after them;
#   - a renewed certificate reaches the server (FLUSH SSL, ALTER INSTANCE
#     RELOAD TLS) and the backup port's listener.
# The kubelet updates Secret and ConfigMap volumes in place by swapping the
# ..data symlink, so a change is a new ..data target.
# Sourcing common.sh again (sidecar.sh did) changes nothing: it only
# defines; it is here so that this file stands on its own.
# shellcheck source-path=SCRIPTDIR
source "${0%/*}/common.sh"

# The listener's pid, and the request to start it again (a renewed
# certificate), between the watcher and the sidecar's main loop.
LISTENER_PID_FILE="$MYSQLGEN_GENERATED_DIR/.listener.pid"
LISTENER_RESTART="$MYSQLGEN_GENERATED_DIR/.listener.restart"
# The replication password this member's replication last used (SHA-256):
# a replica re-points when the Secret holds another one.
REPL_PW_STATE="$DATA_DIR/mysqlgen-replication-password.sha256"
# The kubelet's own sync period is a minute; a few seconds more is nothing.
WATCH_SECONDS=5

# read_user_password VAR FILE reads a declared user's password, file
# relative to MYSQLGEN_USERS_DIR, with read_secret's rules.
read_user_password() {
  MYSQLGEN_SECRET_DIR="${MYSQLGEN_USERS_DIR:?}" read_secret "$1" "$2"
}

# try_login USER PASSWORD [HOST] succeeds when USER logs in with PASSWORD on
# the local socket, or on HOST over TCP (with TLS when it is on).
try_login() {
  local cnf rc=0
  cnf="$(mktemp "$MYSQLGEN_GENERATED_DIR/.login.XXXXXX")"
  write_client_cnf "$cnf" "$1" "$2"
  if [[ -n "${3:-}" ]]; then
    "$MYSQL" --defaults-extra-file="$cnf" --protocol=tcp --host="$3" --port="${MYSQLGEN_MYSQL_PORT:-3306}" \
      --connect-timeout=3 ${TCP_TLS[@]+"${TCP_TLS[@]}"} -N -B -e 'SELECT 1' >/dev/null 2>&1 || rc=1
  else
    run_sql "$cnf" -N -B -e 'SELECT 1' >/dev/null 2>&1 || rc=1
  fi
  rm -f "$cnf"
  return "$rc"
}

# ensure_local_admin makes the socket-authenticated admin on a primary whose
# cluster predates it (its replicas get it by replication; until then their
# probes log in with root's password).
ensure_local_admin() {
  local key value name=""
  [[ -r "$ADMIN_CNF" && "$ADMIN" != "$ADMIN_CNF" ]] || return 0
  while IFS='=' read -r key value; do
    [[ "$key" == user ]] && name="$value"
  done <"$ADMIN_CNF"
  [[ -n "$name" ]] || return 0
  log "making the socket-authenticated local admin '$name'"
  if local_admin_sql "$name" | run_sql "$ADMIN"; then
    pick_admin
  else
    log "warning: could not make the local admin '$name': root's password stays in use"
  fi
}

# apply_managed_passwords (primary) sets the managed accounts' passwords to
# the Secret's, makes the metrics user, then rewrites this member's client
# files. The local admin needs no password, so nothing here can lock the
# sidecar or the probes out; without it, the client files are rewritten at
# once after the ALTER.
apply_managed_passwords() {
  local root_pw repl_pw backup_pw metrics_pw sql
  read_secret root_pw root-password
  read_secret repl_pw replication-password
  read_secret backup_pw backup-password
  sql="$SQL_LITERALS
ALTER USER 'root'@'localhost' IDENTIFIED BY $(sql_quote "$root_pw");
ALTER USER 'root'@'%' IDENTIFIED BY $(sql_quote "$root_pw");
ALTER USER $(sql_quote "$MYSQLGEN_REPLICATION_USER")@'%' IDENTIFIED BY $(sql_quote "$repl_pw");
ALTER USER $(sql_quote "${MYSQLGEN_BACKUP_USER:?}")@'localhost' IDENTIFIED BY $(sql_quote "$backup_pw");"
  # The exporter's user: no data, process list, status, performance_schema.
  if [[ "${MYSQLGEN_METRICS:-OFF}" == ON ]]; then
    local mu
    mu="$(sql_quote "${MYSQLGEN_METRICS_USER:?}")@'localhost'"
    read_secret metrics_pw metrics-password
    metrics_pw="$(sql_quote "$metrics_pw")"
    sql+="
CREATE USER IF NOT EXISTS $mu IDENTIFIED BY $metrics_pw WITH MAX_USER_CONNECTIONS 3;
ALTER USER $mu IDENTIFIED BY $metrics_pw;
GRANT ${MYSQLGEN_METRICS_PRIVILEGES:?} ON *.* TO $mu;
GRANT SELECT ON performance_schema.* TO $mu;"
  fi
  log "setting the managed accounts' passwords from the Secret"
  run_sql "$ADMIN" <<<"$sql" || return 1
  refresh_client_files || log "the client files keep the old passwords for now; the watcher retries"
}

# refresh_client_files rewrites root's and the backup user's client files
# with the Secret's passwords once these log in here (on a replica: once the
# primary's ALTER has replicated). It fails while one does not yet.
refresh_client_files() {
  local pw rc=0
  read_secret pw root-password
  if try_login root "$pw"; then write_client_cnf "$ROOT_CNF" root "$pw"; else rc=1; fi
  read_secret pw backup-password
  if try_login "$MYSQLGEN_BACKUP_USER" "$pw"; then
    write_client_cnf "$BACKUP_CNF" "$MYSQLGEN_BACKUP_USER" "$pw"
  else
    rc=1
  fi
  return "$rc"
}

# ensure_replication_tls (replica) re-points configured replication, keeping
# its place, when it lacks the TLS settings spec.tls asks for or uses
# another password than the Secret's; the new password only once the
# primary accepts it. Replication that ran is started again.
ensure_replication_tls() {
  local status changes="" pw sum running=0
  status="$(run_sql "$ADMIN" -E -e "$SQL_STATUS")" || return 1
  [[ -n "$status" ]] || return 0
  if [[ "$TLS" == ON && ! ("$status" =~ _SSL_Allowed:\ Yes && "$status" =~ _SSL_Verify_Server_Cert:\ Yes) ]]; then
    changes="$(source_tls_options)"
    log "replication predates spec.tls: re-pointing it with TLS"
  fi
  read_secret pw replication-password
  sum="$(printf '%s' "$pw" | sha256sum)"
  sum="${sum%% *}"
  if [[ ! -f "$REPL_PW_STATE" || "$(<"$REPL_PW_STATE")" != "$sum" ]]; then
    if ! try_login "$MYSQLGEN_REPLICATION_USER" "$pw" "$PRIMARY_HOST"; then
      log "the primary does not accept the Secret's replication password yet"
      return 1
    fi
    changes+=", ${SQL_SRC}_PASSWORD=$(sql_quote "$pw")"
  fi
  [[ -n "$changes" ]] || return 0
  [[ "$status" =~ _IO_Running:\ (Yes|Connecting) ]] && running=1
  log "re-pointing replication at $PRIMARY_HOST (TLS or password)"
  run_sql "$ADMIN" <<SQL || return 1
$SQL_LITERALS
$SQL_STOP;
$SQL_CHANGE_SOURCE ${changes#, };
SQL
  if ((running)); then run_sql "$ADMIN" -e "$SQL_START" || return 1; fi
  printf '%s\n' "$sum" >"$REPL_PW_STATE"
}

# accounts_file prints the accounts file: the ConfigMap's where the config
# volume is mounted (it follows spec changes live), else init-mysql's copy.
accounts_file() {
  if [[ -r "${MYSQLGEN_CONFIGMAP_DIR:-}/accounts" ]]; then
    printf '%s' "$MYSQLGEN_CONFIGMAP_DIR/accounts"
  elif [[ -r "$MYSQLGEN_GENERATED_DIR/accounts" ]]; then
    printf '%s' "$MYSQLGEN_GENERATED_DIR/accounts"
  fi
}

# apply_accounts (primary) makes the declared databases and users. Lines,
# fields from validated character sets, "-" unset, "_" for a space in a
# privilege's name:
#   database <name> <charset|-> <collation|->
#   user <name> <host> <password file> <REQUIRE_SSL|NONE> <max user connections>
#   grant <name> <host> <PRIV,PRIV,...> <database> <table|*>
#   drop <name> <host>
# Grants are added, then whatever else the server holds for a declared user
# is revoked (sync_grants): the grants equal the spec's. A user leaves only
# by a drop line (state: absent). A grant on a table that does not exist yet
# waits for the next apply: after init SQL, at each start and change.
apply_accounts() {
  local f kind a b c d e pw u sql="$SQL_LITERALS" cs target exists
  local -A want=()
  local -a present=()
  f="$(accounts_file)"
  [[ -n "$f" ]] || return 0
  while read -r kind a b c d e _; do
    u="$(sql_quote "$a")@$(sql_quote "$b")"
    case "$kind" in
    database)
      cs=""
      [[ "$b" != - ]] && cs+=" CHARACTER SET $b"
      [[ "$c" != - ]] && cs+=" COLLATE $c"
      sql+=$'\n'"CREATE DATABASE IF NOT EXISTS \`$a\`$cs;"
      [[ -n "$cs" ]] && sql+=$'\n'"ALTER DATABASE \`$a\`$cs;"
      ;;
    user)
      [[ "$a" != "$(admin_name)" ]] || die "accounts: '$a' is the local admin's name"
      read_user_password pw "$c"
      pw="$(sql_quote "$pw")"
      [[ "$d" == REQUIRE_SSL ]] && d="SSL"
      [[ "$e" == - ]] && e=0
      sql+=$'\n'"CREATE USER IF NOT EXISTS $u IDENTIFIED BY $pw;"
      sql+=$'\n'"ALTER USER $u IDENTIFIED BY $pw REQUIRE $d WITH MAX_USER_CONNECTIONS $e;"
      present+=("$a $b")
      ;;
    grant)
      # A database name in a database-level grant is a pattern, where _
      # matches any character: escaped, it names exactly that database.
      if [[ "$e" == "*" ]]; then
        target="\`${d//_/\\_}\`.*"
      else
        target="\`$d\`.\`$e\`"
        # The servers refuse a grant on a table that does not exist yet:
        # it is made at the next apply (after init SQL, at the next start).
        exists="$(run_sql "$ADMIN" -N -B -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$d' AND TABLE_NAME = '$e'" </dev/null)" || return 1
        if [[ "$exists" != 1 ]]; then
          log "grant to $a@$b on $d.$e waits for the table to exist"
          continue
        fi
      fi
      sql+=$'\n'"GRANT ${c//_/ } ON $target TO $u;"
      want["$a $b $target"]+=",${c//_/ }"
      ;;
    drop)
      [[ "$a" != "$(admin_name)" ]] || die "accounts: '$a' is the local admin's name"
      sql+=$'\n'"DROP USER IF EXISTS $u;"
      ;;
    "") ;;
    *) die "accounts: unknown item '$kind'" ;;
    esac
  done <"$f"
  log "applying the declared databases and users"
  run_sql "$ADMIN" <<<"$sql" || return 1
  local p
  for p in ${present[@]+"${present[@]}"}; do sync_grants "${p% *}" "${p#* }" || return 1; done
}

# sync_grants NAME HOST revokes what SHOW GRANTS lists for the user beyond
# apply_accounts' want: other databases or tables, other privileges, global
# privileges, the grant option. USAGE (the login itself) and PROXY stay.
# --raw: batch mode would print the backslash of app\_db doubled.
sync_grants() {
  local u line privs target key wanted p revoke="" grants
  u="$(sql_quote "$1")@$(sql_quote "$2")"
  grants="$(run_sql "$ADMIN" -N -B -r -e "$SQL_LITERALS SHOW GRANTS FOR $u")" || return 1
  while IFS= read -r line; do
    [[ "$line" == "GRANT "*" ON "*" TO "* ]] || continue
    privs="${line#GRANT }" privs="${privs%% ON *}"
    target="${line#* ON }" target="${target%% TO *}"
    [[ "$privs" == PROXY ]] && continue
    key="$1 $2 $target"
    if [[ "$privs" != USAGE && -z "${want[$key]+x}" ]]; then
      revoke+=$'\n'"REVOKE ALL PRIVILEGES ON $target FROM $u;"
    elif [[ "$privs" != USAGE ]]; then
      wanted="${want[$key]},"
      if [[ "$privs" == "ALL PRIVILEGES" && "$wanted" != *",ALL PRIVILEGES,"* ]]; then
        revoke+=$'\n'"REVOKE ALL PRIVILEGES ON $target FROM $u;"
        revoke+=$'\n'"GRANT ${wanted:1:${#wanted}-2} ON $target TO $u;"
      elif [[ "$wanted" != *",ALL PRIVILEGES,"* ]]; then
        while IFS= read -r -d , p; do
          p="${p# }"
          [[ -z "$p" || "$wanted" == *",$p,"* ]] || revoke+=$'\n'"REVOKE $p ON $target FROM $u;"
        done <<<"$privs,"
      fi
    fi
    if [[ "${line##* TO }" == *" WITH GRANT OPTION"* || "${line##* TO }" == *"GRANT OPTION"* ]]; then
      revoke+=$'\n'"REVOKE GRANT OPTION ON $target FROM $u;"
    fi
  done <<<"$grants"
  [[ -n "$revoke" ]] || return 0
  log "revoking from $1@$2 what the spec does not grant"
  run_sql "$ADMIN" <<<"$SQL_LITERALS$revoke" || return 1
}

# admin_name prints the local admin's account name (none: nothing).
admin_name() {
  local key value
  [[ -r "$ADMIN_CNF" ]] || return 0
  while IFS='=' read -r key value; do
    [[ "$key" == user ]] && printf '%s' "$value"
  done <"$ADMIN_CNF"
}

# run_init_sql (primary) runs spec.initSQL's *.sql files in name order, as
# the local admin and logged (replicas get them by replication), once: only
# while the bootstrap's marker is there, which it then renames. A failing
# file stops the sidecar, and the files run again at its next start; once
# all succeeded they never run again, across restarts and moves.
run_init_sql() {
  local dir="${MYSQLGEN_INIT_SQL_DIR:-}" f LC_ALL=C
  [[ -f "$INIT_SQL_PENDING" ]] || return 0
  if [[ -n "$dir" && -d "$dir" ]]; then
    for f in "$dir"/*.sql; do
      [[ -f "$f" ]] || continue
      log "init SQL: running ${f##*/}"
      run_sql "$ADMIN" <"$f" || die "init SQL ${f##*/} failed: the files run again at the sidecar's next start"
    done
  fi
  mv "$INIT_SQL_PENDING" "$INIT_SQL_PENDING.done"
  log "init SQL done; it never runs again on this cluster"
  apply_accounts # grants on the tables it made
}

# check_require_tls (spec.tls.requireSecureTransport) says so when the
# server does not refuse plain TCP clients although the spec asks it to
# (a server too old for require_secure_transport, a spec.config patch).
check_require_tls() {
  local on
  [[ "${MYSQLGEN_REQUIRE_TLS:-OFF}" == ON ]] || return 0
  on="$(run_sql "$ADMIN" -N -B -e 'SELECT @@GLOBAL.require_secure_transport' 2>/dev/null)" || on=""
  [[ "$on" == 1 || "$on" == ON ]] ||
    log "warning: spec.tls.requireSecureTransport is set, but this server accepts plain TCP clients (require_secure_transport: ${on:-unknown})"
}

# reload_tls makes the server and the backup port's listener use a renewed
# certificate: MariaDB FLUSH SSL (10.4+; not logged, so that a replica
# makes no GTID of its own), MySQL 8 ALTER INSTANCE RELOAD TLS. MySQL 5.7
# reads its certificate only at start.
reload_tls() {
  case "$MYSQLGEN_DIALECT" in
  mariadb) run_sql "$ADMIN" -e 'SET SESSION sql_log_bin = 0; FLUSH SSL' || return 1 ;;
  mysql80 | mysql84) run_sql "$ADMIN" -e 'ALTER INSTANCE RELOAD TLS' || return 1 ;;
  *) log "warning: MySQL 5.7 cannot reload its certificate: roll the pods (kubectl rollout restart statefulset/${HOSTNAME%-*}) before the old one expires" ;;
  esac
  log "the renewed certificate is in use by the server; restarting the backup listener"
  : >"$LISTENER_RESTART"
  [[ -r "$LISTENER_PID_FILE" ]] && kill "$(<"$LISTENER_PID_FILE")" 2>/dev/null
  return 0
}

# mount_version DIR prints the target of a projected volume's ..data link,
# which changes with every update the kubelet makes.
mount_version() {
  [[ -n "${1:-}" ]] && readlink "$1/..data" 2>/dev/null
  return 0
}

# watch_mounts runs beside the listener for the pod's life: it applies a
# changed credentials Secret, users' Secrets, accounts file or certificate.
# Each step runs in a subshell (a die ends the step, not the watcher) and
# is retried until it succeeds. In a tested command bash ignores set -e,
# so the steps return their failures explicitly.
watch_mounts() {
  local primary=0 seen_secret seen_users seen_accounts seen_tls cur users accounts
  # Both start pending: what the start could not finish is retried here.
  local clients=1 repl=1
  (($(ordinal) == PRIMARY_ORDINAL)) && primary=1 repl=0
  seen_secret="$(mount_version "$MYSQLGEN_SECRET_DIR")"
  seen_users="$(mount_version "${MYSQLGEN_USERS_DIR:-}")"
  seen_accounts="$(mount_version "${MYSQLGEN_CONFIGMAP_DIR:-}")"
  seen_tls=""
  [[ "$TLS" == ON ]] && seen_tls="$(mount_version "$TLS_DIR")"
  while sleep "$WATCH_SECONDS"; do
    pick_admin
    cur="$(mount_version "$MYSQLGEN_SECRET_DIR")"
    if [[ "$cur" != "$seen_secret" ]]; then
      log "the credentials Secret changed"
      if ((primary)); then
        (apply_managed_passwords) || continue
      fi
      seen_secret="$cur" clients=1 repl=$((!primary))
    fi
    if ((clients)) && (refresh_client_files); then clients=0; fi
    if ((repl)) && (ensure_replication_tls); then repl=0; fi
    users="$(mount_version "${MYSQLGEN_USERS_DIR:-}")"
    accounts="$(mount_version "${MYSQLGEN_CONFIGMAP_DIR:-}")"
    if [[ "$users" != "$seen_users" || "$accounts" != "$seen_accounts" ]]; then
      if ((primary)); then
        log "the declared users' Secrets or the accounts changed"
        (apply_accounts) || continue
      fi
      seen_users="$users" seen_accounts="$accounts"
    fi
    if [[ "$TLS" == ON ]]; then
      cur="$(mount_version "$TLS_DIR")"
      if [[ "$cur" != "$seen_tls" ]]; then
        log "the certificate Secret changed"
        (reload_tls) && seen_tls="$cur"
      fi
    fi
  done
}
