package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/storetest"
)

// postgresWithPassword returns a DSN of a new PostgreSQL schema that
// carries a password (the test server trusts every connection, so any
// password is accepted), and the password.
func postgresWithPassword(t *testing.T) (string, string) {
	t.Helper()
	dsn, _ := storetest.PostgresSchema(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	const password = "s3cret-pw"
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String(), password
}

// TestPasswordNeverShown: the commands that print or log the database
// (init, demo, serve, xen import, and errors) show a PostgreSQL DSN without
// its password, but with its user and host.
func TestPasswordNeverShown(t *testing.T) {
	dsn, password := postgresWithPassword(t)
	check := func(what, output string) {
		t.Helper()
		if strings.Contains(output, password) {
			t.Errorf("%s shows the password:\n%s", what, output)
		}
		if !strings.Contains(output, "postgres:xxxxx@127.0.0.1") {
			t.Errorf("%s does not name the database as postgres:xxxxx@127.0.0.1:\n%s", what, output)
		}
	}
	_, out, errOut := run(t, "init", "--czar", "george", "--db", dsn, "--now", "2026-03-02T09:00:00Z")
	check("init", out+errOut)
	_, out, errOut = run(t, "demo", "--db", dsn)
	check("demo into a database that is not empty", out+errOut)

	demo, _ := postgresWithPassword(t)
	_, out, errOut = run(t, "demo", "--db", demo)
	check("demo", out+errOut)
	_, served, stop := startServe(t, "--db", demo)
	if code := stop(); code != 0 {
		t.Fatalf("serve: exit %d: %s", code, served.String())
	}
	check("serve", served.String())

	repo, _ := fixtureXen(t)
	imported, _ := postgresWithPassword(t)
	_, out, errOut = run(t, "xen", "import", repo, "--db", imported, "--json")
	check("xen import --json", out+errOut)

	bad := strings.Replace(dsn, "127.0.0.1:5432", "127.0.0.1:1", 1) + "&connect_timeout=2"
	_, out, errOut = run(t, "status", "--db", bad)
	check("status on a server that does not answer", out+errOut)
	kv := "host=127.0.0.1 port=1 user=postgres password=" + password + " dbname=none connect_timeout=2"
	_, out, errOut = run(t, "status", "--db", kv)
	if strings.Contains(out+errOut, password) || !strings.Contains(errOut, "password=xxxxx") {
		t.Errorf("a keyword/value DSN: %s%s", out, errOut)
	}
}

// TestOnlyCreatorsCreate: on an empty SQLite file, a command other than
// init, demo, xen import and import-log refuses (exit 3, saying to run
// pvczar init) and leaves the file empty; init then creates the registry.
func TestOnlyCreatorsCreate(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	assertOnlyCreatorsCreate(t, empty, func() int {
		info, err := os.Stat(empty)
		if err != nil {
			t.Fatal(err)
		}
		return int(info.Size())
	})
}

// TestOnlyCreatorsCreatePostgres: the same on an empty PostgreSQL database,
// where status used to create the tables.
func TestOnlyCreatorsCreatePostgres(t *testing.T) {
	dsn, raw := storetest.PostgresSchema(t)
	assertOnlyCreatorsCreate(t, dsn, func() int {
		var n int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	})
}

// assertOnlyCreatorsCreate runs commands that must not create a registry on
// db, which holds none, checking with size (bytes or tables) that nothing
// was made; then init.
func assertOnlyCreatorsCreate(t *testing.T, db string, size func() int) {
	t.Helper()
	for _, args := range [][]string{
		{"status"},
		{"audit", "verify"},
		{"tick"},
		{"export"},
		{"user", "add", "alice", "--role", "contributor", "--as", "george"},
		{"token", "create", "--name", "x", "--as", "george"},
	} {
		code, _, errOut := run(t, append(args, "--db", db)...)
		if code != exitNotFound || !strings.Contains(errOut, "pvczar init") {
			t.Errorf("%s on an empty database: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
		if n := size(); n != 0 {
			t.Fatalf("%s on an empty database created something (%d)", strings.Join(args, " "), n)
		}
	}
	mustRun(t, "init", "--czar", "george", "--db", db)
	mustRun(t, "status", "--db", db)
}
