package storetest

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

var schemaCounter atomic.Int64

// PostgresSchema returns a DSN whose search_path is a new, empty schema of
// the database named by $PVCZAR_TEST_POSTGRES, and a connection that sees
// it; the schema is dropped when the test ends. It skips the test when the
// variable is unset (.ci/run sets it).
func PostgresSchema(t *testing.T) (string, *sql.DB) {
	t.Helper()
	base := os.Getenv("PVCZAR_TEST_POSTGRES")
	if base == "" {
		t.Skip("PVCZAR_TEST_POSTGRES is unset: skipping a PostgreSQL test (.ci/run sets it)")
	}
	raw, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("pvczar_test_%d_%d", time.Now().UnixNano(), schemaCounter.Add(1))
	if _, err := raw.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		raw.Exec("DROP SCHEMA " + schema + " CASCADE")
		raw.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	scoped, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { scoped.Close() })
	return u.String(), scoped
}
