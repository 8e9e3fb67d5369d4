package postgres_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/postgres"
	"github.com/xen-pvczar/pvczar/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (func() storetest.Store, *sql.DB) {
		dsn, raw := storetest.PostgresSchema(t)
		open := func() storetest.Store {
			s, err := postgres.Open(context.Background(), dsn, true, pvczar.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		open().Close()
		return open, raw
	})
}

func TestBadDSN(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", false, pvczar.DefaultConfig())
	if pvczar.ErrorCode(err) != pvczar.EINVALID || !strings.Contains(err.Error(), "PostgreSQL") {
		t.Fatalf("unreachable server: %v", err)
	}
}

// TestRedact: the password goes, whatever the DSN's form; the user, host,
// port, database and settings stay.
func TestRedact(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"postgres://alice:s3cret@db.example.org:5432/registry?sslmode=disable", "postgres://alice:xxxxx@db.example.org:5432/registry?sslmode=disable"},
		{"postgresql://alice@db.example.org/registry", "postgresql://alice@db.example.org/registry"},
		{"postgres://alice:p@s3cret@db.example.org/registry", "postgres://alice:xxxxx@db.example.org/registry"},
		{"postgres://alice@db.example.org/registry?sslmode=require&password=s3cret", "postgres://alice@db.example.org/registry?password=xxxxx&sslmode=require"},
		{"postgres://alice@db.example.org/registry?sslpassword=s3cret", "postgres://alice@db.example.org/registry?sslpassword=xxxxx"},
		{"host=db.example.org user=alice password=s3cret dbname=registry", "host=db.example.org user=alice password=xxxxx dbname=registry"},
		{"host=db.example.org password = 's3cret and more' dbname=registry", "host=db.example.org password = xxxxx dbname=registry"},
		{"user=alice PASSWORD=s3cret", "user=alice PASSWORD=xxxxx"},
		// url.Parse refuses these; the password still goes.
		{"postgres://alice:s3cret%zz@db.example.org/registry", "postgres://alice:xxxxx@db.example.org/registry"},
		{"postgres://alice:s3cret@db.example.org:port/registry?password=s3cret", "postgres://alice:xxxxx@db.example.org:port/registry?password=xxxxx"},
		{"/var/lib/pvczar/pvczar.db", "/var/lib/pvczar/pvczar.db"},
	}
	for _, tt := range tests {
		got := postgres.Redact(tt.dsn)
		if got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
		if strings.Contains(got, "s3cret") {
			t.Errorf("Redact(%q) shows the password: %q", tt.dsn, got)
		}
	}
}

func TestIsDSN(t *testing.T) {
	for db, want := range map[string]bool{
		"postgres://u@h/d":          true,
		"postgresql://u@h/d":        true,
		"host=h dbname=d":           true,
		" dbname = d":               true,
		"pvczar.db":                 false,
		"/srv/host=h/pvczar.db":     false,
		"hostname=h.db":             false,
		"postgres.db":               false,
		"file:pvczar.db?mode=rw":    false,
		"./postgres://not-a-dsn.db": false,
	} {
		if got := postgres.IsDSN(db); got != want {
			t.Errorf("IsDSN(%q) = %v, want %v", db, got, want)
		}
	}
}

// TestOpenErrorsHideThePassword: a DSN that does not parse and a server
// that does not answer give errors that name the database without its
// password.
func TestOpenErrorsHideThePassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://nobody:s3cret-pw@127.0.0.1:1/none?sslmode=disable&connect_timeout=2",
		"postgres://nobody:s3cret-pw@127.0.0.1:notaport/none?sslmode=disable",
		"postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2&password=s3cret-pw",
		"host=127.0.0.1 port=1 user=nobody password=s3cret-pw dbname=none sslmode=disable connect_timeout=2",
		"host=127.0.0.1 port=1 user=nobody password='s3cret-pw' dbname=none sslmode=nonsense",
	} {
		_, err := postgres.Open(context.Background(), dsn, false, pvczar.DefaultConfig())
		if err == nil {
			t.Fatalf("%s: opened", postgres.Redact(dsn))
		}
		if msg := err.Error(); strings.Contains(msg, "s3cret") || !strings.Contains(msg, "nobody") || !strings.Contains(msg, "127.0.0.1") {
			t.Errorf("error for %s: %s", postgres.Redact(dsn), msg)
		}
	}
}

// TestEmptyDatabaseRefused: without create, a database without pvczar's
// tables is refused, saying how to create them, and is left as it was.
func TestEmptyDatabaseRefused(t *testing.T) {
	dsn, raw := storetest.PostgresSchema(t)
	_, err := postgres.Open(context.Background(), dsn, false, pvczar.DefaultConfig())
	if pvczar.ErrorCode(err) != pvczar.ENOTFOUND || !strings.Contains(err.Error(), "pvczar init") {
		t.Fatalf("empty database: %v", err)
	}
	var tables int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("opening without create made %d table(s)", tables)
	}
}
