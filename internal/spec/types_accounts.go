package spec

// Database is a database the primary creates when it is missing. It is
// never dropped: removing it from the spec leaves it, and its data, alone.
type Database struct {
	// Name of the database: letters, digits and '_', at most 64. The
	// server's own (mysql, sys, information_schema, performance_schema) are
	// refused.
	Name string `json:"name"`
	// CharacterSet of the database, such as utf8mb4; empty uses the server's
	// default.
	CharacterSet string `json:"characterSet,omitempty"`
	// Collation of the database, such as utf8mb4_unicode_ci; empty uses the
	// character set's default.
	Collation string `json:"collation,omitempty"`
}

// User is an account the primary keeps as declared: created when missing,
// its password, TLS requirement, connection limit and grants set to what
// the spec says, every time the primary starts and when the spec changes.
type User struct {
	// Name of the account: letters, digits, '_', '.' and '-', at most 32,
	// not starting with '.' or '-'. The accounts mysqlgen manages (root,
	// replication, backup, metrics) and the servers' system accounts
	// (mysql.*, mariadb.sys, PUBLIC) are refused.
	Name string `json:"name"`
	// Host the account may connect from, a MySQL host pattern: % (default)
	// for any, 10.0.% or 10.0.0.0/255.255.0.0 for a network. Host names
	// are not resolved (skip-name-resolve).
	Host string `json:"host,omitempty"`
	// PasswordSecretKeyRef is the Secret key holding the password, in the
	// cluster's namespace. The sidecars apply a changed password without a
	// restart. Required unless state is absent.
	PasswordSecretKeyRef *SecretKeyRef `json:"passwordSecretKeyRef,omitempty"`
	// Grants of the account, each on a database or one of its tables.
	Grants []Grant `json:"grants,omitempty"`
	// RequireSSL refuses the account's connections without TLS (REQUIRE
	// SSL); needs spec.tls.
	RequireSSL bool `json:"requireSSL,omitempty"`
	// MaxUserConnections limits the account's simultaneous connections; 0
	// (default) leaves it to the server's max_user_connections.
	MaxUserConnections int32 `json:"maxUserConnections,omitempty"`
	// State is present (default) or absent: an absent account is dropped. A
	// user merely removed from the spec is left alone, never dropped
	// silently.
	State string `json:"state,omitempty"`
}

// SecretKeyRef names one key of a Secret.
type SecretKeyRef struct {
	// Name of the Secret.
	Name string `json:"name"`
	// Key in the Secret.
	Key string `json:"key"`
}

// Grant gives privileges on one database, or one table of it. Grants on
// every database (*.*) are refused: they reach the grant tables.
type Grant struct {
	// Privileges, in upper case, from SELECT, INSERT, UPDATE, DELETE,
	// CREATE, DROP, ALTER, INDEX, REFERENCES, CREATE TEMPORARY TABLES, LOCK
	// TABLES, EXECUTE, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER
	// ROUTINE, EVENT, TRIGGER, or ALL PRIVILEGES alone. On a table only
	// SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX,
	// REFERENCES, CREATE VIEW, SHOW VIEW, TRIGGER and ALL PRIVILEGES.
	Privileges []string `json:"privileges"`
	// Database the grant is on (not a system database).
	Database string `json:"database"`
	// Table of the database, or * (default) for all of its tables.
	Table string `json:"table,omitempty"`
}

// InitSQL names SQL to run once, when the cluster is first bootstrapped.
type InitSQL struct {
	// ConfigMapName names a ConfigMap whose keys ending in .sql are run in
	// name order, as root, on the primary, after the declared databases and
	// users exist, as a server image's /docker-entrypoint-initdb.d would.
	// They never run again, not even when the ConfigMap changes.
	ConfigMapName string `json:"configMapName"`
}

// Values of the account fields.
const (
	UserStatePresent = "present"
	UserStateAbsent  = "absent"
	DefaultUserHost  = "%"
	// GrantAllTables is a grant's table for every table of its database.
	GrantAllTables = "*"
)

// ManagedUsers are the accounts mysqlgen creates itself; a declared user may
// not take their names. mysql is the local admin the scripts log in as over
// the socket, named after the containers' OS user (unix_socket/auth_socket).
var ManagedUsers = []string{"root", "replication", "backup", "metrics", "mysql"}

// Privileges a grant may give on a database (MySQL's and MariaDB's
// database-level privileges less the administrative GRANT OPTION; the
// global ones cannot be given on a database).
var DatabasePrivileges = []string{
	"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "INDEX", "REFERENCES",
	"CREATE TEMPORARY TABLES", "LOCK TABLES", "EXECUTE", "CREATE VIEW", "SHOW VIEW",
	"CREATE ROUTINE", "ALTER ROUTINE", "EVENT", "TRIGGER", "ALL PRIVILEGES",
}

// TablePrivileges are those of DatabasePrivileges a table can hold
// (TABLE_ACLS of mysql-server's sql/auth/auth_acls.h and MariaDB's
// sql/privilege.h, less GRANT OPTION and MariaDB's DELETE HISTORY).
var TablePrivileges = []string{
	"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "INDEX", "REFERENCES",
	"CREATE VIEW", "SHOW VIEW", "TRIGGER", "ALL PRIVILEGES",
}

// PrivilegeAll is the privilege that may not be combined with others.
const PrivilegeAll = "ALL PRIVILEGES"

// defaultTLSAndAccounts fills the TLS and account fields left empty.
func defaultTLSAndAccounts(s *ClusterSpec) {
	if t := s.TLS; t != nil && t.CertManager != nil {
		cm := t.CertManager
		if cm.Duration == "" {
			cm.Duration = DefaultCertificateDuration
		}
		if cm.RenewBefore == "" {
			cm.RenewBefore = DefaultCertificateRenewBefore
		}
		// A self-signed CA is its own issuer: the reference stays empty
		// for Validate to hold it so.
		if !cm.SelfSigned {
			if cm.IssuerRef.Kind == "" {
				cm.IssuerRef.Kind = IssuerKindIssuer
			}
			if cm.IssuerRef.Group == "" {
				cm.IssuerRef.Group = CertManagerGroup
			}
		}
	}
	for i := range s.Users {
		u := &s.Users[i]
		if u.Host == "" {
			u.Host = DefaultUserHost
		}
		if u.State == "" {
			u.State = UserStatePresent
		}
		for j := range u.Grants {
			if u.Grants[j].Table == "" {
				u.Grants[j].Table = GrantAllTables
			}
		}
	}
}
