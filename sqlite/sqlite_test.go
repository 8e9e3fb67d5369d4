package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// TestEmptyFileRefused: an existing but empty file is no registry: only
// create gives it the schema, and a refusal leaves it empty.
func TestEmptyFileRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Open(ctx, path, false, pvczar.DefaultConfig())
	if pvczar.ErrorCode(err) != pvczar.ENOTFOUND || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "pvczar init") {
		t.Fatalf("empty file: %v", err)
	}
	if info, err := os.Stat(path); err != nil || info.Size() != 0 {
		t.Fatalf("the refused file changed: %v %v", info.Size(), err)
	}
	s, err := sqlite.Open(ctx, path, true, pvczar.DefaultConfig())
	if err != nil {
		t.Fatalf("create in an empty file: %v", err)
	}
	s.Close()
	s, err = sqlite.Open(ctx, path, false, pvczar.DefaultConfig())
	if err != nil {
		t.Fatalf("open after create: %v", err)
	}
	s.Close()
}

// TestMigrationRebuildsTheProjection takes a database back to schema 3 (no
// proposal state, protocol states with their proposals), as pvczar left it
// before, and opens it: migration 4 rebuilds the tables from the log and
// the audit finds them in agreement.
func TestMigrationRebuildsTheProjection(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := sqlite.Open(ctx, path, true, pvczar.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, e := range []pvczar.Event{
		{Type: pvczar.EventUserAdded, Actor: "george", Data: pvczar.EventData{User: "george", Role: pvczar.RoleCzar}},
		{Type: pvczar.EventProtocolRegistered, Actor: "george", Data: pvczar.EventData{Protocol: "pvfoo", Title: "PV Foo"}},
		{Type: pvczar.EventGateWaived, Actor: "george", Data: pvczar.EventData{Protocol: "pvfoo", Gate: pvczar.GateDesignDoc, To: pvczar.StagePrototype, Reason: "r"}},
		{Type: pvczar.EventGateWaived, Actor: "george", Data: pvczar.EventData{Protocol: "pvfoo", Gate: pvczar.GateDocCheck, To: pvczar.StagePrototype, Reason: "r"}},
		{Type: pvczar.EventGateWaived, Actor: "george", Data: pvczar.EventData{Protocol: "pvfoo", Gate: pvczar.GateDesignThread, To: pvczar.StagePrototype, Reason: "r"}},
		{Type: pvczar.EventProposalOpened, Actor: "george", Data: pvczar.EventData{Protocol: "pvfoo"}},
	} {
		e.At, e.Source = at, pvczar.SourceCLI
		if _, err := s.Act(ctx, e); err != nil {
			t.Fatalf("%s: %v", e.Type, err)
		}
	}
	s.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{`DROP TABLE mails`, `DROP TABLE mail_unparsed`, `DROP TABLE mail_cursors`, `DROP TABLE outbox`, `ALTER TABLE proposals DROP COLUMN state`, `ALTER TABLE sessions DROP COLUMN token_id`, `UPDATE protocols SET state = 'the old layout'`,
		`UPDATE meta SET value = '3' WHERE key = 'schema_version'`} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	raw.Close()
	s, err = sqlite.Open(ctx, path, false, pvczar.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if diffs, err := s.Verify(ctx); err != nil || len(diffs) > 0 {
		t.Fatalf("after the migration: %v %v", diffs, err)
	}
}
