package spec

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Charsets of the account fields. Each admits no space, quote, backquote,
// backslash or newline, so that no value can change the structure of the
// accounts file (one item a line, fields separated by a space) nor of the
// SQL the scripts build from it; a value is used as it is, never escaped.
var (
	UserNameRE  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$`)
	UserHostRE  = regexp.MustCompile(`^[A-Za-z0-9_.%:/-]{1,255}$`)
	ObjectRE    = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
	CharsetRE   = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)
	userStates  = []string{UserStateAbsent, UserStatePresent}
	userNameMsg = "must be 1 to 32 letters, digits, '_', '.' or '-', not starting with '.' or '-'"
	hostMsg     = "must be 1 to 255 letters, digits, '_', '.', '%', ':', '/' or '-' (a host pattern such as %, 10.0.% or 10.0.0.0/255.255.0.0)"
	objectMsg   = "must be 1 to 64 letters, digits or '_'"
	charsetMsg  = "must be 1 to 64 lower-case letters, digits or '_'"
)

// SystemDatabases hold the servers' own state: a grant there reaches the
// grant tables, a declared database there is no application's.
var SystemDatabases = []string{"information_schema", "mysql", "performance_schema", "sys"}

func validateDatabases(dbs []Database, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, d := range dbs {
		dp := p.Index(i)
		errs = append(errs, validateDatabaseName(d.Name, dp.Child("name"))...)
		if seen[strings.ToLower(d.Name)] {
			errs = append(errs, field.Duplicate(dp.Child("name"), d.Name))
		}
		seen[strings.ToLower(d.Name)] = true
		if d.CharacterSet != "" && !CharsetRE.MatchString(d.CharacterSet) {
			errs = append(errs, field.Invalid(dp.Child("characterSet"), d.CharacterSet, charsetMsg))
		}
		if d.Collation != "" && !CharsetRE.MatchString(d.Collation) {
			errs = append(errs, field.Invalid(dp.Child("collation"), d.Collation, charsetMsg))
		}
	}
	return errs
}

func validateDatabaseName(name string, p *field.Path) field.ErrorList {
	switch {
	case name == "":
		return field.ErrorList{field.Required(p, "the database's name")}
	case !ObjectRE.MatchString(name):
		return field.ErrorList{field.Invalid(p, name, objectMsg)}
	case slices.Contains(SystemDatabases, strings.ToLower(name)):
		return field.ErrorList{field.Forbidden(p, fmt.Sprintf("%s is a system database (%s): the server's own, not an application's",
			name, strings.Join(SystemDatabases, ", ")))}
	}
	return nil
}

func validateUsers(users []User, tls bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i := range users {
		u := &users[i]
		up := p.Index(i)
		errs = append(errs, validateUserName(u.Name, up.Child("name"))...)
		if !UserHostRE.MatchString(u.Host) {
			errs = append(errs, field.Invalid(up.Child("host"), u.Host, hostMsg))
		}
		// Host names match case-insensitively, user names exactly.
		id := u.Name + "@" + strings.ToLower(u.Host)
		if seen[id] {
			errs = append(errs, field.Duplicate(up, u.Name+"@"+u.Host))
		}
		seen[id] = true
		if !slices.Contains(userStates, u.State) {
			errs = append(errs, field.NotSupported(up.Child("state"), u.State, userStates))
		}
		if u.MaxUserConnections < 0 {
			errs = append(errs, field.Invalid(up.Child("maxUserConnections"), u.MaxUserConnections, "must not be negative (0 leaves it to the server)"))
		}
		if u.RequireSSL && !tls {
			errs = append(errs, field.Invalid(up.Child("requireSSL"), true, "needs spec.tls: the server has no certificate to offer"))
		}
		errs = append(errs, validatePasswordRef(u, up.Child("passwordSecretKeyRef"))...)
		errs = append(errs, validateGrants(u.Grants, up.Child("grants"))...)
	}
	return errs
}

func validateUserName(name string, p *field.Path) field.ErrorList {
	lower := strings.ToLower(name)
	switch {
	case name == "":
		return field.ErrorList{field.Required(p, "the account's name")}
	case !UserNameRE.MatchString(name):
		return field.ErrorList{field.Invalid(p, name, userNameMsg)}
	case slices.Contains(ManagedUsers, lower):
		return field.ErrorList{field.Forbidden(p, fmt.Sprintf("%s is managed by mysqlgen (%s)", name, strings.Join(ManagedUsers, ", ")))}
	case strings.HasPrefix(lower, "mysql.") || strings.HasPrefix(lower, "mariadb.") || lower == "public":
		return field.ErrorList{field.Forbidden(p, name+" is a system account or role of the server (mysql.*, mariadb.*, PUBLIC)")}
	}
	return nil
}

// validatePasswordRef needs a password for a present user; an absent one
// is dropped and needs none.
func validatePasswordRef(u *User, p *field.Path) field.ErrorList {
	r := u.PasswordSecretKeyRef
	if r == nil {
		if u.State == UserStateAbsent {
			return nil
		}
		return field.ErrorList{field.Required(p, "the Secret key holding the password")}
	}
	errs := validateObjectName(r.Name, "the Secret holding the password", p.Child("name"))
	switch {
	case r.Key == "":
		errs = append(errs, field.Required(p.Child("key"), "the key holding the password"))
	default:
		for _, msg := range validation.IsConfigMapKey(r.Key) {
			errs = append(errs, field.Invalid(p.Child("key"), r.Key, msg))
		}
	}
	return errs
}

func validateGrants(grants []Grant, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, g := range grants {
		gp := p.Index(i)
		errs = append(errs, validateDatabaseName(g.Database, gp.Child("database"))...)
		allowed := DatabasePrivileges
		switch {
		case g.Table == GrantAllTables:
		case !ObjectRE.MatchString(g.Table):
			errs = append(errs, field.Invalid(gp.Child("table"), g.Table, objectMsg+", or * for every table"))
		default:
			allowed = TablePrivileges
		}
		target := strings.ToLower(g.Database) + "." + g.Table
		if seen[target] {
			errs = append(errs, field.Duplicate(gp, g.Database+"."+g.Table))
		}
		seen[target] = true
		errs = append(errs, validatePrivileges(g.Privileges, allowed, gp.Child("privileges"))...)
	}
	return errs
}

func validatePrivileges(privs, allowed []string, p *field.Path) field.ErrorList {
	if len(privs) == 0 {
		return field.ErrorList{field.Required(p, "at least one privilege")}
	}
	var errs field.ErrorList
	for j, pr := range privs {
		switch {
		case !slices.Contains(allowed, pr):
			errs = append(errs, field.NotSupported(p.Index(j), pr, allowed))
		case slices.Index(privs, pr) < j:
			errs = append(errs, field.Duplicate(p.Index(j), pr))
		case pr == PrivilegeAll && len(privs) > 1:
			errs = append(errs, field.Invalid(p.Index(j), pr, "must be alone: it includes every other"))
		}
	}
	return errs
}

func contains(list []string, v string) bool { return slices.Contains(list, v) }
