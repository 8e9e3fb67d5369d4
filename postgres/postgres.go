// Package postgres opens a pvczar store in a PostgreSQL database through
// pgx's database/sql adapter, so several pvczar servers can share it.
package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/sqlstore"
)

// Dialect is PostgreSQL's dialect for sqlstore.
var Dialect = sqlstore.Dialect{Name: "postgres", NumberedPlaceholders: true, IsUniqueViolation: isUniqueViolation,
	WriteLock: "SELECT pg_advisory_xact_lock(7472067)"}

func isUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

// Open opens the store in the database named by dsn
// (postgres://user@host:port/db?sslmode=disable), creating its tables when
// they are missing.
func Open(ctx context.Context, dsn string, cfg pvczar.Config) (*sqlstore.Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, pvczar.Errorf(pvczar.EINVALID, "bad PostgreSQL DSN: %v", err)
	}
	db.SetMaxOpenConns(8)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, pvczar.Errorf(pvczar.EINVALID, "cannot reach PostgreSQL: %v", err)
	}
	s, err := sqlstore.New(ctx, redact(dsn), db, db, Dialect, cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// redact hides a password in a DSN shown in messages.
func redact(dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "postgres"
	}
	return "postgres://" + cfg.User + "@" + cfg.Host + "/" + cfg.Database
}
