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
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/sqlstore"
)

// Dialect is SQLite's dialect for sqlstore.
var Dialect = sqlstore.Dialect{Name: "sqlite", IsUniqueViolation: isUniqueViolation, IsBusy: isBusy}

// isBusy reports SQLITE_BUSY (in any of its extended codes): another
// connection held the lock past the busy timeout, or SQLite refused at
// once to avoid a deadlock.
func isBusy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

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

// Backup writes a consistent copy of the database at path to the new file
// dst with VACUUM INTO. It reads in one transaction, so writers (a running
// server) go on while it runs, and the copy holds every event committed
// before it began and none after. It refuses a missing database (ENOTFOUND)
// and an existing dst (ECONFLICT).
func Backup(ctx context.Context, path, dst string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return pvczar.Errorf(pvczar.ENOTFOUND, "database %s does not exist: create it with `pvczar init`", path)
	}
	if _, err := os.Stat(dst); err == nil {
		return pvczar.Errorf(pvczar.ECONFLICT, "%s exists: a backup goes to a new file", dst)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		if strings.Contains(err.Error(), "already exists") { // made since the check above: not ours to remove
			return pvczar.Errorf(pvczar.ECONFLICT, "%s exists: a backup goes to a new file", dst)
		}
		os.Remove(dst) // what an interrupted copy wrote
		return fmt.Errorf("backup of %s to %s: %w", path, dst, err)
	}
	return nil
}
