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
