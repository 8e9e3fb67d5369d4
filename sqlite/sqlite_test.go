package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/sqlite"
	"github.com/xen-pvczar/pvczar/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (func() storetest.Store, *sql.DB) {
		path := filepath.Join(t.TempDir(), "pvczar.db")
		open := func() storetest.Store {
			s, err := sqlite.Open(context.Background(), path, true, pvczar.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		open().Close() // create the schema
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		return open, raw
	})
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	if _, err := sqlite.Open(ctx, missing, false, pvczar.DefaultConfig()); pvczar.ErrorCode(err) != pvczar.ENOTFOUND || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("opening a missing file without create created it")
	}
	corrupt := filepath.Join(dir, "corrupt.db")
	os.WriteFile(corrupt, []byte(strings.Repeat("not a database ", 500)), 0o644)
	if _, err := sqlite.Open(ctx, corrupt, false, pvczar.DefaultConfig()); err == nil || !strings.Contains(err.Error(), corrupt) {
		t.Errorf("corrupt file: %v", err)
	}
	newer := filepath.Join(dir, "newer.db")
	s, err := sqlite.Open(ctx, newer, true, pvczar.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	raw, _ := sql.Open("sqlite", newer)
	raw.Exec(`UPDATE meta SET value = '99' WHERE key = 'schema_version'`)
	raw.Close()
	if _, err := sqlite.Open(ctx, newer, false, pvczar.DefaultConfig()); err == nil || !strings.Contains(err.Error(), "schema version 99") {
		t.Errorf("newer schema: %v", err)
	}
}
