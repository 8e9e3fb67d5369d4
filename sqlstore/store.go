// Package sqlstore keeps the pvczar event log and its projection in an SQL
// database. The SQL is shared by SQLite and PostgreSQL; a Dialect holds the
// few differences. The sqlite and postgres packages open a Store.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
)

//go:embed migrations
var migrations embed.FS

// Dialect describes what differs between database engines.
type Dialect struct {
	// Name is the engine's name and its folder under migrations/.
	Name string
	// Numbered placeholders ($1, $2, ...) instead of '?'.
	NumberedPlaceholders bool
	// IsUniqueViolation reports whether err is a unique-constraint violation.
	IsUniqueViolation func(error) bool
	// IsBusy, if set, reports whether err says the database was busy past
	// its timeout (SQLite may say so at once in a few cases, to avoid a
	// deadlock); the write transaction is then run again.
	IsBusy func(error) bool
	// WriteLock, if set, is the statement that starts every write
	// transaction and serializes writers (SQLite's BEGIN IMMEDIATE does it
	// by itself). With writers serialized, events become visible in seq order.
	WriteLock string
	// SyncSequence, if set, is the statement that moves the events' seq
	// counter past the largest seq, after ImportLog inserted events with
	// their own seq (SQLite's AUTOINCREMENT follows by itself).
	SyncSequence string
}

// Store is a pvczar.Service on an SQL database.
type Store struct {
	write   *sql.DB // the connection(s) that write
	read    *sql.DB // the pool that reads; may be write
	dialect Dialect
	config  pvczar.Config
	name    string // the database's name in error messages
	// Now is the clock that stamps when events were recorded, and commands
	// that come without a time.
	Now func() time.Time

	cache cache
}

var _ pvczar.Service = (*Store)(nil)

// New returns a store on the given connections after bringing the schema up
// to date. It creates the schema in a database without one only with create
// (pvczar init, demo, xen import and import-log); without, such a database
// is refused (ENOTFOUND), so that a mistyped database is never made a new,
// empty registry. It refuses a database whose schema is newer than this
// program's. name is the database as messages show it: without a password.
func New(ctx context.Context, name string, write, read *sql.DB, d Dialect, create bool, cfg pvczar.Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Store{write: write, read: read, dialect: d, config: cfg, name: name, Now: time.Now}
	if err := s.migrate(ctx, create); err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes the connections.
func (s *Store) Close() error {
	err := s.write.Close()
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// reprojectMarker in a migration says that the tables must be rebuilt from
// the log after it, because what their rows hold has changed.
const reprojectMarker = "-- pvczar: rebuild the projection"

// digestMarker in a migration says that the unparsed mail kept before it
// must be given its digest.
const digestMarker = "-- pvczar: digest the unparsed mail"

// migrate brings the schema up to date in one transaction that holds the
// write lock, so that servers starting together on one database do not race.
// A database without a schema gets one only with create; an older schema is
// always migrated (in that one transaction, so a failure leaves it as it was).
func (s *Store) migrate(ctx context.Context, create bool) error {
	dir := "migrations/" + s.dialect.Name
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return fmt.Errorf("no migrations for dialect %s: %w", s.dialect.Name, err)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`); err != nil {
			return err
		}
		var current int
		var value string
		err = tx.QueryRowContext(ctx, s.q(`SELECT value FROM meta WHERE key = ?`), "schema_version").Scan(&value)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			if current, err = strconv.Atoi(value); err != nil {
				return pvczar.Errorf(pvczar.EINVALID, "%s: corrupt schema version %q", s.name, value)
			}
		}
		if current == 0 && !create {
			return pvczar.Errorf(pvczar.ENOTFOUND, "database %s holds no pvczar registry: create one with `pvczar init`", s.name)
		}
		if current > len(entries) {
			return pvczar.Errorf(pvczar.EINVALID, "%s: the database has schema version %d, newer than this pvczar knows (%d); upgrade pvczar", s.name, current, len(entries))
		}
		reproject, digest := false, false
		for i := current; i < len(entries); i++ {
			script, err := fs.ReadFile(migrations, dir+"/"+entries[i].Name())
			if err != nil {
				return err
			}
			reproject = reproject || strings.Contains(string(script), reprojectMarker)
			digest = digest || strings.Contains(string(script), digestMarker)
			for _, stmt := range strings.Split(string(script), ";\n") {
				if strings.TrimSpace(stripComments(stmt)) == "" {
					continue
				}
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %s: %w", entries[i].Name(), err)
				}
			}
		}
		if current == len(entries) {
			return nil
		}
		if digest && current > 0 {
			if err := s.digestUnparsed(ctx, tx); err != nil {
				return fmt.Errorf("digesting the unparsed mail after the migration: %w", err)
			}
		}
		if reproject && current > 0 {
			if err := s.reproject(ctx, tx); err != nil {
				return fmt.Errorf("rebuilding the tables after the migration: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM meta WHERE key = ?`), "schema_version"); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO meta (key, value) VALUES (?, ?)`), "schema_version", strconv.Itoa(len(entries)))
		return err
	})
}

func stripComments(stmt string) string {
	var b strings.Builder
	for _, line := range strings.Split(stmt, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// describe turns a driver error into one that names the database.
func (s *Store) describe(err error) error {
	if err == nil || pvczar.ErrorCode(err) != pvczar.EINTERNAL {
		return err
	}
	msg := err.Error()
	if strings.Contains(msg, "file is not a database") || strings.Contains(msg, "malformed") {
		return pvczar.Errorf(pvczar.EINVALID, "%s: not a pvczar database, or corrupt (%s)", s.name, msg)
	}
	return fmt.Errorf("%s: %w", s.name, err)
}

// q rewrites '?' placeholders for the dialect.
func (s *Store) q(query string) string {
	if !s.dialect.NumberedPlaceholders {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	err := s.tryTx(ctx, fn)
	// A transaction refused as busy wrote nothing: run it again, a few
	// times, a little later each time.
	for attempt := 1; attempt <= busyRetries && err != nil && s.dialect.IsBusy != nil && s.dialect.IsBusy(err); attempt++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt*attempt) * 50 * time.Millisecond):
		}
		err = s.tryTx(ctx, fn)
	}
	if err != nil && s.dialect.IsUniqueViolation(err) {
		return pvczar.Errorf(pvczar.ECONFLICT, "someone else changed the same record at the same time; nothing was written, try again")
	}
	return s.describe(err)
}

// busyRetries is how often inTx runs a transaction again that the
// database refused as busy.
const busyRetries = 5

// tryTx runs fn in one write transaction and commits it.
func (s *Store) tryTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if s.dialect.WriteLock != "" {
		_, err = tx.ExecContext(ctx, s.dialect.WriteLock)
	}
	if err == nil {
		err = fn(tx)
	}
	if err != nil {
		_ = tx.Rollback()
	} else {
		err = tx.Commit()
	}
	return err
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

const eventColumns = `seq, stream, version, COALESCE(dedupe_key, ''), type, at, actor, source, data`

// loadEvents reads events in log order, those matching where if it is set,
// at most limit of them if it is positive.
func (s *Store) loadEvents(ctx context.Context, db querier, where string, limit int, args ...any) ([]pvczar.Event, error) {
	return s.loadEventsOrdered(ctx, db, where, "seq", limit, args...)
}

func (s *Store) loadEventsOrdered(ctx context.Context, db querier, where, order string, limit int, args ...any) ([]pvczar.Event, error) {
	query := `SELECT ` + eventColumns + ` FROM events`
	if where != "" {
		query += ` WHERE ` + where
	}
	query += ` ORDER BY ` + order
	if limit > 0 {
		query += ` LIMIT ` + strconv.Itoa(limit)
	}
	rows, err := db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, s.describe(err)
	}
	defer rows.Close()
	var out []pvczar.Event
	for rows.Next() {
		var e pvczar.Event
		var at, data string
		if err := rows.Scan(&e.Seq, &e.Stream, &e.Version, &e.Key, &e.Type, &at, &e.Actor, &e.Source, &data); err != nil {
			return nil, err
		}
		if e.At, err = time.Parse(time.RFC3339, at); err != nil {
			return nil, fmt.Errorf("event %d: bad time %q: %w", e.Seq, at, err)
		}
		if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
			return nil, fmt.Errorf("event %d: bad data: %w", e.Seq, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// insert appends e to the log and sets its Seq.
func (s *Store) insert(ctx context.Context, tx *sql.Tx, e *pvczar.Event) error {
	data, err := json.Marshal(e.Data)
	if err != nil {
		return err
	}
	var key any
	if e.Key != "" {
		key = e.Key
	}
	return tx.QueryRowContext(ctx, s.q(`INSERT INTO events (stream, version, dedupe_key, type, at, actor, source, proposal, data, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`),
		e.Stream, e.Version, key, string(e.Type), formatTime(e.At), e.Actor, e.Source, e.Data.Proposal, string(data),
		s.Now().UTC().Format(time.RFC3339Nano)).Scan(&e.Seq)
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func lastVersion(events []pvczar.Event, stream string) int {
	v := 0
	for _, e := range events {
		if e.Stream == stream && e.Version > v {
			v = e.Version
		}
	}
	return v
}

// Act implements pvczar.Service.
func (s *Store) Act(ctx context.Context, cmd pvczar.Event) (pvczar.Event, error) {
	var protocols []string
	if id := cmd.ProtocolID(); id != "" {
		protocols = append(protocols, id)
	}
	var out pvczar.Event
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		reg, versions, err := s.current(ctx, tx, protocols...)
		if err != nil {
			return err
		}
		before := reg.CloneFor(protocols...)
		if out, err = s.record(ctx, tx, reg, versions, cmd); err != nil {
			return err
		}
		return s.projectChange(ctx, tx, before, reg, out.Stream, out.Data.Proposal)
	})
	return out, err
}

// record decides cmd against reg, logs it at its stream's next version in
// tx and applies it: what Act and ActAll do with each command. A command
// without a time is stamped here, under the write lock, so that concurrent
// commands get times in the order they are logged; one with a version is
// refused when its stream has moved on since.
func (s *Store) record(ctx context.Context, tx *sql.Tx, reg *pvczar.Registry, versions map[string]int, cmd pvczar.Event) (pvczar.Event, error) {
	if cmd.At.IsZero() {
		cmd.At = s.Now().UTC().Truncate(time.Second)
	}
	e, err := reg.Decide(cmd)
	if err != nil {
		return e, err
	}
	if seen := cmd.Version; seen != 0 && seen != versions[e.Stream] {
		return e, pvczar.Errorf(pvczar.ESTALE, "%s has changed since you read it (you saw version %d, it is now at %d): reload and try again", e.Stream, seen, versions[e.Stream])
	}
	versions[e.Stream]++
	e.Version = versions[e.Stream]
	if err := s.insert(ctx, tx, &e); err != nil {
		return e, err
	}
	reg.Apply(e)
	return e, nil
}

// ActAll records cmds in order, all or none, in one transaction: an import
// of xen.git's history. Each command is decided against the state the ones
// before it made. On an error nothing is written, and a refused command is
// named in the error.
func (s *Store) ActAll(ctx context.Context, cmds []pvczar.Event) ([]pvczar.Event, error) {
	var ids []string
	for _, cmd := range cmds {
		if id := cmd.ProtocolID(); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	var out []pvczar.Event
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		reg, versions, err := s.current(ctx, tx, ids...)
		if err != nil {
			return err
		}
		before := reg.CloneFor(ids...)
		var streams []string
		for i, cmd := range cmds {
			e, err := s.record(ctx, tx, reg, versions, cmd)
			var refused *pvczar.Error
			if errors.As(err, &refused) {
				return pvczar.Errorf(refused.Code, "command %d of %d (%s): %s", i+1, len(cmds), cmd.Describe(), refused.Message)
			} else if err != nil {
				return err // the database's, which inTx reports
			}
			out = append(out, e)
			if !slices.Contains(streams, e.Stream) {
				streams = append(streams, e.Stream)
			}
		}
		for _, stream := range streams {
			if err := s.projectChange(ctx, tx, before, reg, stream, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Tick implements pvczar.Service.
func (s *Store) Tick(ctx context.Context, now time.Time, dryRun bool) ([]pvczar.Event, error) {
	reg, err := s.Registry(ctx, now)
	if err != nil {
		return nil, err
	}
	pending := reg.Pending()
	if dryRun || len(pending) == 0 {
		return pending, nil
	}
	var streams []string
	for _, e := range pending {
		streams = append(streams, e.Stream)
	}
	slices.Sort(streams)
	streams = slices.Compact(streams)
	var written []pvczar.Event
	for _, stream := range streams {
		var got []pvczar.Event
		var err error
		for attempt := 0; attempt < 3; attempt++ { // another ticker may win the race: reload and go on
			if got, err = s.tickStream(ctx, stream, now); pvczar.ErrorCode(err) != pvczar.ECONFLICT {
				break
			}
		}
		if err != nil {
			return written, err
		}
		written = append(written, got...)
	}
	return written, nil
}

func (s *Store) tickStream(ctx context.Context, stream string, now time.Time) ([]pvczar.Event, error) {
	var written []pvczar.Event
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		written = nil
		reg, versions, err := s.current(ctx, tx, strings.TrimPrefix(stream, "protocol:"))
		if err != nil {
			return err
		}
		advanced := reg.Clone()
		advanced.AdvanceTo(now)
		version := versions[stream]
		for _, e := range advanced.Pending() {
			version++
			e.Version = version
			if err := s.insert(ctx, tx, &e); err != nil {
				return err
			}
			reg.Apply(e)
			written = append(written, e)
		}
		if len(written) == 0 {
			return nil
		}
		return s.project(ctx, tx, reg, stream)
	})
	return written, err
}

// Events implements pvczar.Service.
func (s *Store) Events(ctx context.Context, f pvczar.EventFilter) ([]pvczar.Event, error) {
	var where []string
	var args []any
	if f.Stream != "" {
		where, args = append(where, "stream = ?"), append(args, f.Stream)
	}
	if f.Proposal != "" {
		where, args = append(where, "proposal = ?"), append(args, f.Proposal)
	}
	if f.AfterSeq > 0 {
		where, args = append(where, "seq > ?"), append(args, f.AfterSeq)
	}
	if f.Before > 0 {
		where, args = append(where, "seq < ?"), append(args, f.Before)
	}
	order := "seq"
	if f.Newest {
		order = "seq DESC"
	}
	return s.loadEventsOrdered(ctx, s.read, strings.Join(where, " AND "), order, f.Limit, args...)
}

// Ping tells whether the database answers; /healthz uses it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read.PingContext(ctx); err != nil {
		return s.describe(err)
	}
	return nil
}

// Config implements pvczar.Service.
func (s *Store) Config(context.Context) (pvczar.Config, error) { return s.config, nil }
