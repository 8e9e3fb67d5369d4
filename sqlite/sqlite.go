// Package sqlite opens a pvczar store in an SQLite file through the pure-Go
// modernc.org/sqlite driver (no cgo): one writing connection and a pool of
// readers, in WAL mode.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/sqlstore"
)

// Dialect is SQLite's dialect for sqlstore.
var Dialect = sqlstore.Dialect{Name: "sqlite", IsUniqueViolation: isUniqueViolation}

func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// Open opens the store in the file at path. With create, a missing file (and
// its folder) is created, and an empty one given the schema; without, a
// missing or empty file is an error (ENOTFOUND) that says how to create one.
func Open(ctx context.Context, path string, create bool, cfg pvczar.Config) (*sqlstore.Store, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if !create {
			return nil, pvczar.Errorf(pvczar.ENOTFOUND, "database %s does not exist: create it with `pvczar init`", path)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("create the database's folder: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("database %s: %w", path, err)
	case info.Size() == 0 && !create:
		// Refused before the connection's WAL pragma writes a header.
		return nil, pvczar.Errorf(pvczar.ENOTFOUND, "database %s is empty: create it with `pvczar init`", path)
	}
	pragmas := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		pragmas.Add("_pragma", p)
	}
	write, err := sql.Open("sqlite", "file:"+path+"?"+pragmas.Encode()+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", "file:"+path+"?"+pragmas.Encode())
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(4)
	s, err := sqlstore.New(ctx, path, write, read, Dialect, create, cfg)
	if err != nil {
		write.Close()
		read.Close()
		return nil, err
	}
	return s, nil
}
