package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// account is one item of the accounts file as a reader of the format sees
// it, and as the spec says it should be.
type account struct {
	Kind, Name, Host, Charset, Collation string
	Password                             string // the password file's name
	RequireSSL                           bool
	MaxConnections                       int
	Privileges                           []string
	Database, Table                      string
}

// parseAccounts reads the accounts file by the contract alone, as a shell
// `read -r kind a b c d e` would: exactly the item's number of fields, one
// space apart, "-" for unset, '_' for a space in a privilege name.
func parseAccounts(text string) ([]account, error) {
	if text == "" {
		return nil, nil
	}
	if !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("no final newline")
	}
	unset := func(s string) string {
		if s == "-" {
			return ""
		}
		return s
	}
	var out []account
	for i, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		f := strings.Split(l, " ")
		want := map[string]int{"database": 4, "user": 6, "grant": 6, "drop": 3}[f[0]]
		if want == 0 || len(f) != want || slices.Contains(f, "") {
			return nil, fmt.Errorf("line %d %q: not an item of the format", i+1, l)
		}
		a := account{Kind: f[0]}
		switch f[0] {
		case "database":
			a.Name, a.Charset, a.Collation = f[1], unset(f[2]), unset(f[3])
		case "user":
			n, err := strconv.Atoi(f[5])
			if err != nil || (f[4] != "REQUIRE_SSL" && f[4] != "NONE") {
				return nil, fmt.Errorf("line %d %q: bad ssl or limit", i+1, l)
			}
			a.Name, a.Host, a.Password, a.RequireSSL, a.MaxConnections = f[1], f[2], f[3], f[4] == "REQUIRE_SSL", n
		case "grant":
			a.Name, a.Host, a.Database, a.Table = f[1], f[2], f[4], f[5]
			for _, p := range strings.Split(f[3], ",") {
				a.Privileges = append(a.Privileges, strings.ReplaceAll(p, "_", " "))
			}
		case "drop":
			a.Name, a.Host = f[1], f[2]
		}
		out = append(out, a)
	}
	return out, nil
}

// wantAccounts is what the spec declares, item by item, independently of
// the serialiser.
func wantAccounts(s *spec.ClusterSpec) []account {
	var out []account
	for _, d := range s.Databases {
		out = append(out, account{Kind: "database", Name: d.Name, Charset: d.CharacterSet, Collation: d.Collation})
	}
	for i, u := range s.Users {
		if u.State == spec.UserStateAbsent {
			out = append(out, account{Kind: "drop", Name: u.Name, Host: u.Host})
			continue
		}
		out = append(out, account{Kind: "user", Name: u.Name, Host: u.Host, Password: strconv.Itoa(i),
			RequireSSL: u.RequireSSL, MaxConnections: int(u.MaxUserConnections)})
		for _, g := range u.Grants {
			out = append(out, account{Kind: "grant", Name: u.Name, Host: u.Host, Privileges: g.Privileges, Database: g.Database, Table: g.Table})
		}
	}
	return out
}

func accountsCluster(tls bool, dbs []spec.Database, users []spec.User) *spec.MySQLCluster {
	c := &spec.MySQLCluster{
		APIVersion: spec.APIVersion, Kind: spec.Kind,
		Metadata: spec.ObjectMeta{Name: "db"},
		Spec:     spec.ClusterSpec{Databases: dbs, Users: users},
	}
	if tls {
		c.Spec.TLS = &spec.TLS{SecretName: "db-certs"}
	}
	spec.SetDefaults(c)
	return c
}

// roundTrip checks a validated cluster's accounts file against the spec.
func roundTrip(t *testing.T, c *spec.MySQLCluster) {
	t.Helper()
	text := accountsFile(&cluster{MySQLCluster: c})
	got, err := parseAccounts(text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if diff := cmp.Diff(wantAccounts(&c.Spec), got); diff != "" {
		t.Fatalf("accounts file differs from the spec (-want +got):\n%s\n%s", diff, text)
	}
}

func TestAccountsFileRoundTrips(t *testing.T) {
	c := accountsCluster(true,
		[]spec.Database{{Name: "app", CharacterSet: "utf8mb4", Collation: "utf8mb4_unicode_ci"}, {Name: "Logs_2"}},
		[]spec.User{
			{Name: "app", PasswordSecretKeyRef: &spec.SecretKeyRef{Name: "app-db", Key: "password"}, RequireSSL: true, MaxUserConnections: 50,
				Grants: []spec.Grant{
					{Privileges: []string{"SELECT", "INSERT", "CREATE TEMPORARY TABLES"}, Database: "app"},
					{Privileges: []string{"SELECT", "SHOW VIEW"}, Database: "Logs_2", Table: "events"},
				}},
			{Name: "report.ro", Host: "10.0.0.0/255.255.0.0", PasswordSecretKeyRef: &spec.SecretKeyRef{Name: "db-credentials", Key: "report"},
				Grants: []spec.Grant{{Privileges: []string{"ALL PRIVILEGES"}, Database: "app"}}},
			{Name: "old", Host: "10.%", State: spec.UserStateAbsent},
		})
	if errs := spec.Validate(c); len(errs) > 0 {
		t.Fatal(errs)
	}
	roundTrip(t, c)
	want := "database app utf8mb4 utf8mb4_unicode_ci\n" +
		"database Logs_2 - -\n" +
		"user app % 0 REQUIRE_SSL 50\n" +
		"grant app % SELECT,INSERT,CREATE_TEMPORARY_TABLES app *\n" +
		"grant app % SELECT,SHOW_VIEW Logs_2 events\n" +
		"user report.ro 10.0.0.0/255.255.0.0 1 NONE 0\n" +
		"grant report.ro 10.0.0.0/255.255.0.0 ALL_PRIVILEGES app *\n" +
		"drop old 10.%\n"
	if got := accountsFile(&cluster{MySQLCluster: c}); got != want {
		t.Errorf("accounts file:\n%s\nwant:\n%s", got, want)
	}
	cm := makeConfigConfigMap(&cluster{MySQLCluster: c})
	if cm.Data[fileAccounts] != want {
		t.Errorf("the config ConfigMap's %s key is %q", fileAccounts, cm.Data[fileAccounts])
	}
	if _, ok := makeConfigConfigMap(&cluster{MySQLCluster: accountsCluster(false, nil, nil)}).Data[fileAccounts]; ok {
		t.Error("a cluster that declares nothing has an accounts key")
	}
}

// FuzzAccountsFile: whatever validates, over all of Unicode, serialises to
// exactly the spec's items; whatever does not validate never reaches the
// serialiser (Objects is only ever given a validated cluster).
func FuzzAccountsFile(f *testing.F) {
	f.Add("app", "%", "utf8mb4", "utf8mb4_bin", "SELECT", "CREATE VIEW", "app", "*", "present", int32(3), true)
	f.Add("a b", "%\n", "x y", "-", "ALL PRIVILEGES", "SELECT", "db", "t 1", "absent", int32(-1), false)
	f.Add("ü", "h`", "Ω", "", "select", "", "mysql", "", "", int32(0), true)
	f.Fuzz(func(t *testing.T, name, host, charset, collation, priv1, priv2, db, table, state string, maxConn int32, ssl bool) {
		for _, s := range []string{name, host, charset, collation, priv1, priv2, db, table, state} {
			if !utf8.ValidString(s) {
				return // the loader refuses input that is not UTF-8
			}
		}
		privs := []string{priv1}
		if priv2 != "" {
			privs = append(privs, priv2)
		}
		c := accountsCluster(ssl,
			[]spec.Database{{Name: db, CharacterSet: charset, Collation: collation}},
			[]spec.User{{Name: name, Host: host, State: state, RequireSSL: ssl, MaxUserConnections: maxConn,
				PasswordSecretKeyRef: &spec.SecretKeyRef{Name: "s", Key: "k"},
				Grants:               []spec.Grant{{Privileges: privs, Database: db, Table: table}}}})
		if errs := spec.Validate(c); len(errs) > 0 {
			return
		}
		roundTrip(t, c)
	})
}
