#!/bin/bash
# init-mysql: runs in the server image before the server starts. It writes the
# server's my.cnf for this pod's role, the client option files that carry the
# passwords, and, on the primary of a new cluster only, bootstraps an empty data directory.
# shellcheck source-path=SCRIPTDIR
source "${0%/*}/common.sh"

n="$(ordinal)"
: "${MYSQLGEN_CONFIGMAP_DIR:?}" "${MYSQLGEN_SOCKET:?}"

# The role file is chosen by ordinal: 0 is the primary, every other pod a
# read-only replica. server-id 0 is reserved, hence 100 + ordinal.
role=replica
((n == PRIMARY_ORDINAL)) && role=primary
umask 077
{
  cat "$MYSQLGEN_CONFIGMAP_DIR/my.cnf"
  printf '\n'
  cat "$MYSQLGEN_CONFIGMAP_DIR/$role.cnf"
  printf '\n# From the pod ordinal %d: 100 + ordinal, as 0 is reserved.\n[mysqld]\nserver-id=%d\n' "$n" "$((100 + n))"
  # MySQL builds auth_socket as a plugin, loaded on every member before
  # replication can bring an account that uses it; MariaDB has unix_socket
  # built in (mysql-server plugin/auth_socket, MariaDB plugin/auth_socket).
  if [[ "$MYSQLGEN_FLAVOR" == mysql ]]; then
    printf '\n# The local admin authenticates on the socket (auth_socket).\nplugin-load-add=auth_socket.so\n'
  fi
} >"$MY_CNF.tmp"
chmod 0644 "$MY_CNF.tmp"
mv "$MY_CNF.tmp" "$MY_CNF"

# Client option files, mode 0600 (common.sh write_client_cnf): the root one
# for the sidecar's connections to other members, the backup one for the
# least-privileged backup user, and the local admin's, without a password.
ROOT_USER=root
BACKUP_USER="${MYSQLGEN_BACKUP_USER:?}"
root_password="" backup_password="" replication_password=""
read_secret root_password root-password
read_secret backup_password backup-password
# Read here too so that a password no replica could keep stops the pod at
# its first step, with the key named.
read_secret replication_password replication-password
write_client_cnf "$ROOT_CNF" "$ROOT_USER" "$root_password"
write_client_cnf "$BACKUP_CNF" "$BACKUP_USER" "$backup_password"
# The local admin is named after the server image's user for the pod's uid:
# unix_socket logs a socket peer in as the account of its OS user's name.
LOCAL_ADMIN=""
if LOCAL_ADMIN="$(id -un 2>/dev/null)" && [[ "$LOCAL_ADMIN" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$ && "$LOCAL_ADMIN" != root ]]; then
  printf '[client]\nuser=%s\nsocket=%s\n' "$LOCAL_ADMIN" "$MYSQLGEN_SOCKET" >"$ADMIN_CNF.tmp"
  mv "$ADMIN_CNF.tmp" "$ADMIN_CNF"
else
  log "warning: the pod's uid $(id -u) has no usable name in this image: no socket-authenticated admin, root's password is used"
  LOCAL_ADMIN=""
  rm -f "$ADMIN_CNF"
fi
# The sidecar reads the declared accounts here when the config volume is
# not mounted in its container (the pods roll when the spec changes).
if [[ -r "$MYSQLGEN_CONFIGMAP_DIR/accounts" ]]; then
  cp "$MYSQLGEN_CONFIGMAP_DIR/accounts" "$MYSQLGEN_GENERATED_DIR/accounts.tmp"
  mv "$MYSQLGEN_GENERATED_DIR/accounts.tmp" "$MYSQLGEN_GENERATED_DIR/accounts"
fi
if [[ "${MYSQLGEN_METRICS:-OFF}" == ON ]]; then
  # mysqld_exporter reads this file with go-ini, which would cut a value at
  # # or ; and expand $: its password comes from MYSQLD_EXPORTER_PASSWORD
  # (the Secret, through the container's env) instead. Read here so that a
  # password the exporter would rewrite stops the pod with the key named.
  read_secret _ metrics-password
  printf '[client]\nuser=%s\nsocket=%s\n' "${MYSQLGEN_METRICS_USER:?}" "$MYSQLGEN_SOCKET" >"$METRICS_CNF.tmp"
  mv "$METRICS_CNF.tmp" "$METRICS_CNF"
fi

# spec.restore makes a new cluster start from a backup: every member's data
# then comes from it (restored, or cloned from a member that holds it), and
# carries the marker clone-mysql writes. Data without it, or from another
# restore, predates spec.restore: nothing is overwritten.
if [[ -n "${MYSQLGEN_RESTORE_BACKUP:-}" && -d "$DATA_DIR" ]]; then
  restored=""
  if [[ -f "$DATA_DIR/mysqlgen-restored" ]]; then
    while IFS='=' read -r key value; do
      [[ "$key" == restore ]] && restored="$value"
    done <"$DATA_DIR/mysqlgen-restored"
  fi
  [[ "$restored" == "$MYSQLGEN_RESTORE_BACKUP" ]] ||
    die "this member holds data that was not restored from backup '$MYSQLGEN_RESTORE_BACKUP'${restored:+ (restored: "$restored")}: restore is for new clusters; remove spec.restore"
fi

if ((n != PRIMARY_ORDINAL)); then
  exit 0 # replicas get their data from clone-mysql
fi
if [[ -d "$DATA_DIR" ]]; then
  log "data directory present, no bootstrap"
  exit 0
fi
# A primary without data starts empty only in a new cluster: one in which no
# other member exists. If any does (this volume was lost: a dead node's local
# disk, a deleted claim), clone-mysql clones the most advanced member, waiting
# for as long as they do not answer, and the server takes writes only then.
# The Service publishes pods before they are ready, so a second look after a
# pause is enough to let a name that was just created appear.
for attempt in 1 2; do
  peers="$(existing_peers)"
  if [[ -n "$peers" ]]; then
    log "no data directory, but members ${peers//$'\n'/ } exist: cloning the most advanced of them, not starting empty"
    exit 0
  fi
  ((attempt == 1)) && sleep 2
done

if [[ -n "${MYSQLGEN_RESTORE_BACKUP:-}" ]]; then
  log "no other member exists: a new cluster restored from backup '$MYSQLGEN_RESTORE_BACKUP' by clone-mysql, not bootstrapped"
  exit 0
fi
log "no other member exists: a new cluster, bootstrapping an empty data directory"
rm -rf "$STAGING_DIR"
mkdir -p "$STAGING_DIR"
case "$MYSQLGEN_FLAVOR" in
mysql) "$MYSQLD" --defaults-file="$MY_CNF" --initialize-insecure --datadir="$STAGING_DIR" ;;
mariadb) mariadb-install-db --defaults-file="$MY_CNF" --datadir="$STAGING_DIR" \
  --auth-root-authentication-method=normal --skip-test-db >/dev/null ;;
esac

# A server on a private socket with no network sets the passwords and users.
boot_socket="$MYSQLGEN_GENERATED_DIR/bootstrap.sock"
"$MYSQLD" --defaults-file="$MY_CNF" --datadir="$STAGING_DIR" --skip-networking \
  --socket="$boot_socket" --pid-file="$MYSQLGEN_GENERATED_DIR/bootstrap.pid" &
pid=$!
for _ in $(seq 120); do
  "$MYSQL" --no-defaults --protocol=socket --socket="$boot_socket" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || die "bootstrap server exited"
  sleep 1
done

# The local admin first, while root has no password, and apart, so that a
# server without the socket plugin (a MySQL image built without auth_socket)
# still bootstraps: root's password then serves instead.
if [[ -n "$LOCAL_ADMIN" ]]; then
  { printf 'SET SESSION sql_log_bin = 0;\n'; local_admin_sql "$LOCAL_ADMIN"; } |
    "$MYSQL" --no-defaults --protocol=socket --socket="$boot_socket" -uroot ||
    log "warning: could not make the socket-authenticated admin '$LOCAL_ADMIN'; root's password is used"
fi
root_pw="$(sql_quote "$root_password")"
repl_pw="$(sql_quote "$replication_password")"
backup_pw="$(sql_quote "$backup_password")"
repl_user="$(sql_quote "${MYSQLGEN_REPLICATION_USER:?}")"
backup_user="$(sql_quote "$BACKUP_USER")"
"$MYSQL" --no-defaults --protocol=socket --socket="$boot_socket" -uroot <<SQL
$SQL_LITERALS
-- Users exist on every member: replicas clone them with the data.
SET SESSION sql_log_bin = 0;
-- MariaDB's installer adds password-less root accounts for TCP loopback and
-- the host name; only root@localhost (socket) and root@'%' may remain.
DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1', 'root'@$(sql_quote "$HOSTNAME");
ALTER USER 'root'@'localhost' IDENTIFIED BY $root_pw;
CREATE USER 'root'@'%' IDENTIFIED BY $root_pw;
GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
CREATE USER $repl_user@'%' IDENTIFIED BY $repl_pw;
GRANT REPLICATION SLAVE ON *.* TO $repl_user@'%';
CREATE USER $backup_user@'localhost' IDENTIFIED BY $backup_pw;
GRANT ${MYSQLGEN_BACKUP_PRIVILEGES:?} ON *.* TO $backup_user@'localhost';
-- XtraBackup 8 reads performance_schema.log_status and keyring status.
GRANT SELECT ON performance_schema.* TO $backup_user@'localhost';
FLUSH PRIVILEGES;
SHUTDOWN;
SQL
wait "$pid" || die "bootstrap server did not shut down cleanly"
printf 'primary\n' >"$STAGING_DIR/${ROLE_FILE##*/}"
# The sidecar runs spec.initSQL once, on this new cluster only (accounts.sh).
: >"$STAGING_DIR/${INIT_SQL_PENDING##*/}"
mv "$STAGING_DIR" "$DATA_DIR"
log "bootstrap complete"
