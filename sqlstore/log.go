package sqlstore

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// LogEvent is one event of the log as ExportLog writes it and ImportLog
// reads it: one JSON object a line, with every column of the events table
// as it is stored (the proposal column aside: it is data's proposal).
type LogEvent struct {
	Seq        int64            `json:"seq"`         // position in the log: increasing, maybe with gaps
	Stream     string           `json:"stream"`      // users, or protocol:ID
	Version    int              `json:"version"`     // 1, 2, 3... within the stream
	Key        string           `json:"key"`         // deduplication key of clock and mail events, or ""
	Type       pvczar.EventType `json:"type"`        // e.g. proposal.opened
	At         string           `json:"at"`          // when it happened: UTC, whole seconds (2026-03-02T09:00:00Z)
	Actor      string           `json:"actor"`       // who did it
	Source     string           `json:"source"`      // cli, api, mail, clock, xen.git:COMMIT...
	Data       json.RawMessage  `json:"data"`        // the event's facts: an object of pvczar.EventData's fields
	RecordedAt string           `json:"recorded_at"` // when the store wrote it, RFC 3339
}

// logFields are the members every line has, in the order ExportLog writes them.
var logFields = []string{"seq", "stream", "version", "key", "type", "at", "actor", "source", "data", "recorded_at"}

// maxLogLine bounds one line of a log: an event with a spec's text in it
// takes a few hundred kilobytes.
const maxLogLine = 64 << 20

// ExportLog writes the whole event log to w as JSON Lines, one LogEvent a
// line in seq order, and returns how many events it wrote. It reads with
// one statement, so the log it writes is the log at one instant, also
// while others write.
func (s *Store) ExportLog(ctx context.Context, w io.Writer) (int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT seq, stream, version, COALESCE(dedupe_key, ''), type, at, actor, source, data, recorded_at FROM events ORDER BY seq`)
	if err != nil {
		return 0, s.describe(err)
	}
	defer rows.Close()
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false) // data goes out byte for byte as stored
	n := 0
	for rows.Next() {
		var e LogEvent
		var data string
		if err := rows.Scan(&e.Seq, &e.Stream, &e.Version, &e.Key, &e.Type, &e.At, &e.Actor, &e.Source, &data, &e.RecordedAt); err != nil {
			return n, s.describe(err)
		}
		e.Data = json.RawMessage(data)
		if err := enc.Encode(e); err != nil {
			return n, fmt.Errorf("%s: event %d: %w", s.name, e.Seq, err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, s.describe(err)
	}
	return n, bw.Flush()
}

// ReadLog reads a log that ExportLog wrote, from the file name, and calls
// fn with each line's number, the event as written and as pvczar reads it,
// in order. It
// stops at the first line that is not such an event, with an EINVALID error
// that starts with name:line: and names the field: a missing or unknown field, a value of the wrong kind, a time
// that is not in the store's form, data that is not an EventData object, a
// seq that does not increase, a version that does not follow its stream's
// last one, a key used twice. Errors fn returns are returned as they are.
func ReadLog(name string, r io.Reader, fn func(line int, e LogEvent, event pvczar.Event) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLogLine)
	var lastSeq int64
	lastSeqLine := 0
	versions := map[string]int{}
	keys := map[string]int{} // key -> line
	line := 0
	for sc.Scan() {
		line++
		e, event, err := parseLogLine(sc.Bytes())
		if err != nil {
			return pvczar.Errorf(pvczar.EINVALID, "%s:%d: %s", name, line, err)
		}
		if e.Seq <= lastSeq {
			return pvczar.Errorf(pvczar.EINVALID, "%s:%d: field \"seq\": %d does not follow %d (line %d): events must be in log order", name, line, e.Seq, lastSeq, lastSeqLine)
		}
		if want := versions[e.Stream] + 1; e.Version != want {
			return pvczar.Errorf(pvczar.EINVALID, "%s:%d: field \"version\": stream %s is at version %d, so its next event is version %d, not %d", name, line, e.Stream, want-1, want, e.Version)
		}
		if e.Key != "" {
			if first, ok := keys[e.Key]; ok {
				return pvczar.Errorf(pvczar.EINVALID, "%s:%d: field \"key\": %q is already the key of line %d", name, line, e.Key, first)
			}
			keys[e.Key] = line
		}
		lastSeq, lastSeqLine, versions[e.Stream] = e.Seq, line, e.Version
		if err := fn(line, e, event); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return pvczar.Errorf(pvczar.EINVALID, "%s:%d: longer than %d MiB", name, line+1, maxLogLine>>20)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// parseLogLine decodes one line; its errors name the field.
func parseLogLine(line []byte) (LogEvent, pvczar.Event, error) {
	var e LogEvent
	var event pvczar.Event // filled in at the end
	var members map[string]json.RawMessage
	if err := json.Unmarshal(line, &members); err != nil || members == nil {
		return e, event, fmt.Errorf("not a JSON object (%s)", describeJSONError(err))
	}
	for _, name := range slices.Sorted(maps.Keys(members)) {
		if !slices.Contains(logFields, name) {
			return e, event, fmt.Errorf("unknown field %q", name)
		}
	}
	targets := []any{&e.Seq, &e.Stream, &e.Version, &e.Key, &e.Type, &e.At, &e.Actor, &e.Source, &e.Data, &e.RecordedAt}
	for i, name := range logFields {
		raw, ok := members[name]
		if !ok {
			return e, event, fmt.Errorf("field %q is missing", name)
		}
		if bytes.Equal(raw, []byte("null")) {
			return e, event, fmt.Errorf("field %q is null", name)
		}
		if err := json.Unmarshal(raw, targets[i]); err != nil {
			return e, event, fmt.Errorf("field %q: %s", name, describeJSONError(err))
		}
	}
	switch {
	case e.Seq <= 0:
		return e, event, fmt.Errorf("field \"seq\": %d is not a position in the log (1 or more)", e.Seq)
	case e.Type == "":
		return e, event, fmt.Errorf("field \"type\" is empty")
	}
	at, err := time.Parse(time.RFC3339, e.At)
	if err != nil || formatTime(at) != e.At {
		return e, event, fmt.Errorf("field \"at\": %q is not a UTC time in whole seconds, like 2026-03-02T09:00:00Z", e.At)
	}
	if _, err := time.Parse(time.RFC3339Nano, e.RecordedAt); err != nil {
		return e, event, fmt.Errorf("field \"recorded_at\": %q is not an RFC 3339 time", e.RecordedAt)
	}
	if !bytes.HasPrefix(e.Data, []byte("{")) {
		return e, event, fmt.Errorf("field \"data\": not a JSON object")
	}
	if err := json.Unmarshal(e.Data, &event.Data); err != nil {
		return e, event, fmt.Errorf("field \"data\": %s", describeJSONError(err))
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, e.Data); err != nil {
		return e, event, fmt.Errorf("field \"data\": %s", describeJSONError(err))
	}
	e.Data = compact.Bytes()
	if want := pvczar.StreamOf(e.Type, event.Data); e.Stream != want {
		return e, event, fmt.Errorf("field \"stream\": %q, where the event's type and data make it %q", e.Stream, want)
	}
	event.Seq, event.Stream, event.Version, event.Key, event.Type, event.At, event.Actor, event.Source = e.Seq, e.Stream, e.Version, e.Key, e.Type, at, e.Actor, e.Source
	return e, event, nil
}

// describeJSONError says what is wrong without Go's type names where it can.
func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case err == nil:
		return "null"
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return fmt.Sprintf("%s: a JSON %s where %s is wanted", typeErr.Field, typeErr.Value, typeErr.Type)
	case errors.As(err, &typeErr):
		return fmt.Sprintf("a JSON %s where %s is wanted", typeErr.Value, typeErr.Type)
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("%s at byte %d", syntaxErr, syntaxErr.Offset)
	}
	return err.Error()
}

// importColumns are the columns of events ImportLog writes, and
// importBatch how many events one of its statements inserts (11 × 500
// parameters: below SQLite's and PostgreSQL's limits).
var importColumns = []string{"seq", "stream", "version", "dedupe_key", "type", "at", "actor", "source", "proposal", "data", "recorded_at"}

const importBatch = 500

// AuditError is ImportLog's refusal of a log whose fold disagrees with
// itself: what Verify would report of the database it would make.
type AuditError struct {
	Differences []string
}

func (e *AuditError) Error() string {
	return fmt.Sprintf("%d difference(s) between the log and the tables; nothing was written", len(e.Differences))
}

// ImportLog loads a log that ExportLog wrote, read from the file name (see
// ReadLog), into this store,
// which must hold no events (ECONFLICT otherwise), in one transaction: the
// events go in as they are (seq, stream, version, key, times, data), the
// projection is rebuilt from them and audited as Verify does. On any error,
// and on an *AuditError, nothing is written. It returns how many events it
// loaded.
func (s *Store) ImportLog(ctx context.Context, name string, r io.Reader) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var existing int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&existing); err != nil {
			return err
		}
		if existing > 0 {
			return pvczar.Errorf(pvczar.ECONFLICT, "database %s is not empty (%d events): a log is loaded into a new database", s.name, existing)
		}
		// Events go in by importBatch a statement: one round trip each,
		// where PostgreSQL would take one per event.
		var rows []any
		first := 0 // the line of rows' first event
		flush := func() error {
			if len(rows) == 0 {
				return nil
			}
			count := len(rows) / len(importColumns)
			values := strings.Repeat("("+strings.Repeat("?, ", len(importColumns)-1)+"?), ", count)
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO events (`+strings.Join(importColumns, ", ")+`) VALUES `+strings.TrimSuffix(values, ", ")), rows...)
			if err != nil {
				return fmt.Errorf("%s:%d-%d: %w", name, first, first+count-1, err)
			}
			rows = rows[:0]
			return nil
		}
		reg := pvczar.NewRegistry(s.config) // the fold, to project; verify folds what was stored again
		err := ReadLog(name, r, func(line int, e LogEvent, event pvczar.Event) error {
			var key any
			if e.Key != "" {
				key = e.Key
			}
			if len(rows) == 0 {
				first = line
			}
			rows = append(rows, e.Seq, e.Stream, e.Version, key, string(e.Type), e.At, e.Actor, e.Source, event.Data.Proposal, string(e.Data), e.RecordedAt)
			reg.Apply(event)
			n++
			if n%importBatch == 0 {
				return flush()
			}
			return nil
		})
		if err == nil {
			err = flush()
		}
		if err != nil {
			return err
		}
		if n > 0 && s.dialect.SyncSequence != "" {
			if _, err := tx.ExecContext(ctx, s.dialect.SyncSequence); err != nil {
				return err
			}
		}
		if err := s.projectAll(ctx, tx, reg); err != nil {
			return err
		}
		diffs, err := s.verify(ctx, tx)
		if err != nil {
			return err
		}
		if len(diffs) > 0 {
			return &AuditError{Differences: diffs}
		}
		return nil
	})
	return n, err
}
