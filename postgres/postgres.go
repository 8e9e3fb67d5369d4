// Package postgres opens a pvczar store in a PostgreSQL database through
// pgx's database/sql adapter, so several pvczar servers can share it.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/sqlstore"
)

// Dialect is PostgreSQL's dialect for sqlstore.
var Dialect = sqlstore.Dialect{Name: "postgres", NumberedPlaceholders: true, IsUniqueViolation: isUniqueViolation,
	WriteLock:    "SELECT pg_advisory_xact_lock(7472067)",
	SyncSequence: "SELECT setval(pg_get_serial_sequence('events', 'seq'), (SELECT MAX(seq) FROM events))"}

func isUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

// Open opens the store in the database named by dsn
// (postgres://user@host:port/db?sslmode=disable). With create, a database
// without pvczar's tables gets them; without, it is refused (ENOTFOUND). Its
// errors name the database by Redact(dsn).
func Open(ctx context.Context, dsn string, create bool, cfg pvczar.Config) (*sqlstore.Store, error) {
	name := Redact(dsn)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, pvczar.Errorf(pvczar.EINVALID, "bad PostgreSQL DSN %s: %s", name, redactError(err, dsn))
	}
	db.SetMaxOpenConns(8)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, pvczar.Errorf(pvczar.EINVALID, "cannot reach PostgreSQL at %s: %s", name, redactError(err, dsn))
	}
	s, err := sqlstore.New(ctx, name, db, db, Dialect, create, cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// keywordDSN is the start of a keyword/value DSN: one of libpq's
// connection settings, then =.
var keywordDSN = regexp.MustCompile(`^\s*(host|hostaddr|port|dbname|user|password|passfile|sslmode|service|connect_timeout|application_name|options)\s*=`)

// IsDSN reports whether db names a PostgreSQL database rather than a SQLite
// file: a postgres:// or postgresql:// URL, or a keyword/value DSN that
// starts with one of libpq's settings (host=... dbname=...).
func IsDSN(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") || keywordDSN.MatchString(db)
}

// mask stands for a password in what Redact returns.
const mask = "xxxxx"

// passwordSetting is a password in keyword/value form or in a URL's query:
// password=secret, password = 'a secret', ?sslpassword=secret&...
var passwordSetting = regexp.MustCompile(`(?i)\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)`)

// Redact returns a PostgreSQL DSN fit to print or log: the password is
// replaced by xxxxx (postgres://user:xxxxx@host/db), the user, host, port,
// database and other settings stay. It masks the password of a URL's user
// and password= (and sslpassword=) settings in a URL's query or a
// keyword/value DSN (host=h user=u password=p), also in a DSN that does not
// parse. Every message and log line that shows a DSN shows it through Redact.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return redactText(dsn)
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), mask)
	}
	q := u.Query()
	changed := false
	for k := range q {
		if strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword") {
			q.Set(k, mask)
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// redactText masks what looks like a password in a DSN that url.Parse
// does not read, or in a message: password settings, and, after a
// postgres:// prefix, what stands between the user's colon and the last @
// before the query.
func redactText(dsn string) string {
	s := passwordSetting.ReplaceAllString(dsn, "${1}"+mask)
	for _, scheme := range []string{"postgres://", "postgresql://"} {
		rest, ok := strings.CutPrefix(s, scheme)
		if !ok {
			continue
		}
		head, query, hasQuery := strings.Cut(rest, "?")
		if at := strings.LastIndex(head, "@"); at >= 0 {
			if colon := strings.Index(head[:at], ":"); colon >= 0 {
				head = head[:colon+1] + mask + head[at:]
			}
		}
		s = scheme + head
		if hasQuery {
			s += "?" + query
		}
	}
	return s
}

// redactError is err's message without dsn's password: the driver's
// messages may quote the DSN, or parts of it.
func redactError(err error, dsn string) string {
	msg := strings.ReplaceAll(err.Error(), dsn, Redact(dsn))
	msg = redactText(msg)
	if cfg, perr := pgconn.ParseConfig(dsn); perr == nil && len(cfg.Password) >= 4 {
		msg = strings.ReplaceAll(msg, cfg.Password, mask)
	}
	return msg
}
