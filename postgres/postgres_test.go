package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/postgres"
	"github.com/xen-pvczar/pvczar/storetest"
)

var schemaCounter atomic.Int64

// freshDSN returns a DSN whose search_path is a new, empty schema, dropped
// when the test ends; it skips the test when PVCZAR_TEST_POSTGRES is unset.
func freshDSN(t *testing.T) (string, *sql.DB) {
	base := os.Getenv("PVCZAR_TEST_POSTGRES")
	if base == "" {
		t.Skip("PVCZAR_TEST_POSTGRES is unset: skipping the PostgreSQL contract tests (.ci/run sets it)")
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

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (func() storetest.Store, *sql.DB) {
		dsn, raw := freshDSN(t)
		open := func() storetest.Store {
			s, err := postgres.Open(context.Background(), dsn, pvczar.DefaultConfig())
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
	_, err := postgres.Open(context.Background(), "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", pvczar.DefaultConfig())
	if pvczar.ErrorCode(err) != pvczar.EINVALID || !strings.Contains(err.Error(), "PostgreSQL") {
		t.Fatalf("unreachable server: %v", err)
	}
}
