package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/xen-pvczar/pvczar"
)

// The projection: tables derived from the log, for SQL readers and for the
// audit. Every cell is text. A table's rows are computed from a registry by
// one function, used both to write them and to verify them.

type table struct {
	name    string
	columns []string
	key     []int // the columns that identify a row
	// rows returns the table's rows for one protocol (or, for users, for
	// all); with only set, those of that proposal only, where rows belong to
	// a proposal.
	rows func(reg *pvczar.Registry, p *pvczar.Protocol, only string) [][]string
}

var protocolTables = []table{
	{"protocols", []string{"id", "title", "stage", "stage_since", "version", "open_proposal", "stale", "state"}, []int{0}, protocolRows},
	{"implementations", []string{"protocol", "id", "side", "codebase", "upstream_commit", "support"}, []int{0, 1}, implementationRows},
	{"proposals", []string{"protocol", "id", "from_stage", "to_stage", "proposer", "opened", "deadline", "status", "ready", "overdue", "stalled", "state"}, []int{1}, proposalRows},
	{"objections", []string{"protocol", "proposal", "name", "author", "status", "ball", "ball_since", "blocking"}, []int{1, 2}, objectionRows},
	{"positions", []string{"protocol", "proposal", "n", "author", "kind", "role", "at", "source"}, []int{1, 2}, positionRows},
}

var usersTable = table{"users", []string{"name", "display", "email", "role", "since"}, []int{0}, userRows}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func userRows(reg *pvczar.Registry, _ *pvczar.Protocol, _ string) [][]string {
	var out [][]string
	for _, u := range reg.SortedUsers() {
		out = append(out, []string{u.Name, u.Display, u.Email, string(u.Role), formatTime(u.Since)})
	}
	return out
}

// stateJSON is the JSON of a state for the state columns.
func stateJSON(v any) string {
	state, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(state)
}

// protocolRows keeps the protocol's state without its proposals, whose
// states are in their own rows: a command then rewrites one proposal's JSON,
// not every proposal's.
func protocolRows(_ *pvczar.Registry, p *pvczar.Protocol, _ string) [][]string {
	bare := *p
	bare.Proposals = nil
	open := ""
	if pr := p.OpenProposal(); pr != nil {
		open = pr.ID
	}
	return [][]string{{p.ID, p.Title, string(p.Stage), formatTime(p.StageSince), p.Version, open, flag(p.Stale), stateJSON(bare)}}
}

func implementationRows(_ *pvczar.Registry, p *pvczar.Protocol, _ string) [][]string {
	var out [][]string
	for _, impl := range p.Implementations {
		out = append(out, []string{p.ID, impl.ID, impl.Side, impl.CodeBase, impl.UpstreamCommit, impl.Support})
	}
	return out
}

func proposalRows(_ *pvczar.Registry, p *pvczar.Protocol, only string) [][]string {
	var out [][]string
	for _, pr := range p.Proposals {
		if only != "" && pr.ID != only {
			continue
		}
		out = append(out, []string{p.ID, pr.ID, string(pr.From), string(pr.To), pr.Proposer, formatTime(pr.Opened),
			formatTime(pr.Deadline), pr.Status, flag(pr.Ready), flag(pr.Overdue), flag(pr.Stalled), stateJSON(pr)})
	}
	return out
}

func objectionRows(_ *pvczar.Registry, p *pvczar.Protocol, only string) [][]string {
	var out [][]string
	for _, pr := range p.Proposals {
		if only != "" && pr.ID != only {
			continue
		}
		for _, o := range pr.Objections {
			out = append(out, []string{p.ID, pr.ID, o.Name, o.Author, o.Status, o.Ball, formatTime(o.BallSince), flag(o.Blocking)})
		}
	}
	return out
}

func positionRows(_ *pvczar.Registry, p *pvczar.Protocol, only string) [][]string {
	var out [][]string
	for _, pr := range p.Proposals {
		if only != "" && pr.ID != only {
			continue
		}
		for i, pos := range pr.Positions {
			out = append(out, []string{p.ID, pr.ID, strconv.Itoa(i + 1), pos.Author, string(pos.Kind), string(pos.Role), formatTime(pos.At), pos.Source})
		}
	}
	return out
}

// project rewrites the projection of one stream from reg, inside tx.
func (s *Store) project(ctx context.Context, tx *sql.Tx, reg *pvczar.Registry, stream string) error {
	if stream == pvczar.MailStream {
		return nil // mail that was not applied changes no table
	}
	if stream == pvczar.UsersStream {
		return s.replaceRows(ctx, tx, usersTable, "", userRows(reg, nil, ""))
	}
	id := strings.TrimPrefix(stream, "protocol:")
	p := reg.Protocols[id]
	if p == nil {
		return fmt.Errorf("projection: protocol %q is not in the registry", id)
	}
	for _, t := range protocolTables {
		where := "protocol = ?"
		if t.name == "protocols" {
			where = "id = ?"
		}
		if err := s.replaceRows(ctx, tx, t, where, t.rows(reg, p, ""), id); err != nil {
			return err
		}
	}
	return nil
}

// reproject rewrites the whole projection from the log, inside tx: after a
// migration that changes what the tables hold.
func (s *Store) reproject(ctx context.Context, tx *sql.Tx) error {
	events, err := s.loadEvents(ctx, tx, "", 0)
	if err != nil {
		return err
	}
	return s.projectAll(ctx, tx, pvczar.Replay(s.config, events))
}

// projectAll rewrites the projection of every stream from reg, inside tx.
func (s *Store) projectAll(ctx context.Context, tx *sql.Tx, reg *pvczar.Registry) error {
	if err := s.project(ctx, tx, reg, pvczar.UsersStream); err != nil {
		return err
	}
	for _, p := range reg.SortedProtocols() {
		if err := s.project(ctx, tx, reg, pvczar.ProtocolStream(p.ID)); err != nil {
			return err
		}
	}
	return nil
}

// projectChange writes what one event changed in the projection of its
// stream: before and after are the stream's states around it. Only rows that
// differ are deleted and inserted, so that a comment costs an insert, not a
// rewrite of its protocol. When proposal is set, the event touched only that
// proposal and its protocol.
func (s *Store) projectChange(ctx context.Context, tx *sql.Tx, before, after *pvczar.Registry, stream, proposal string) error {
	if stream == pvczar.MailStream {
		return nil
	}
	if stream == pvczar.UsersStream {
		return s.syncRows(ctx, tx, usersTable, userRows(before, nil, ""), userRows(after, nil, ""))
	}
	id := strings.TrimPrefix(stream, "protocol:")
	p := after.Protocols[id]
	if p == nil {
		return fmt.Errorf("projection: protocol %q is not in the registry", id)
	}
	for _, t := range protocolTables {
		if proposal != "" && t.name == "implementations" {
			continue
		}
		var old [][]string
		if bp := before.Protocols[id]; bp != nil {
			old = t.rows(before, bp, proposal)
		}
		if err := s.syncRows(ctx, tx, t, old, t.rows(after, p, proposal)); err != nil {
			return err
		}
	}
	return nil
}

// syncRows turns the rows old into the rows new in table t.
func (s *Store) syncRows(ctx context.Context, tx *sql.Tx, t table, old, new [][]string) error {
	gone := map[string][]string{}
	for _, row := range old {
		gone[rowKey(t, row)] = row
	}
	var insert [][]string
	for _, row := range new {
		k := rowKey(t, row)
		if was, ok := gone[k]; ok && slices.Equal(was, row) {
			delete(gone, k)
			continue
		}
		insert = append(insert, row) // new, or changed: its old row stays in gone
	}
	if len(gone) > 0 {
		conds := make([]string, len(t.key))
		for i, c := range t.key {
			conds[i] = t.columns[c] + " = ?"
		}
		del, err := tx.PrepareContext(ctx, s.q("DELETE FROM "+t.name+" WHERE "+strings.Join(conds, " AND ")))
		if err != nil {
			return err
		}
		defer del.Close()
		for _, row := range gone {
			args := make([]any, len(t.key))
			for i, c := range t.key {
				args[i] = row[c]
			}
			if _, err := del.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("projection %s: %w", t.name, err)
			}
		}
	}
	return s.insertRows(ctx, tx, t, insert)
}

func (s *Store) replaceRows(ctx context.Context, tx *sql.Tx, t table, where string, rows [][]string, args ...any) error {
	del := "DELETE FROM " + t.name
	if where != "" {
		del += " WHERE " + where
	}
	if _, err := tx.ExecContext(ctx, s.q(del), args...); err != nil {
		return err
	}
	return s.insertRows(ctx, tx, t, rows)
}

func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, t table, rows [][]string) error {
	if len(rows) == 0 {
		return nil
	}
	ins, err := tx.PrepareContext(ctx, s.q("INSERT INTO "+t.name+" ("+strings.Join(t.columns, ", ")+") VALUES ("+
		strings.TrimSuffix(strings.Repeat("?, ", len(t.columns)), ", ")+")"))
	if err != nil {
		return err
	}
	defer ins.Close()
	vals := make([]any, len(t.columns))
	for _, row := range rows {
		for i, v := range row {
			vals[i] = v
		}
		if _, err := ins.ExecContext(ctx, vals...); err != nil {
			return fmt.Errorf("projection %s: %w", t.name, err)
		}
	}
	return nil
}

// Verify implements pvczar.Service: it refolds the whole log and compares
// the result with every projection table, and checks that each stream's
// versions run 1, 2, 3... without a gap.
func (s *Store) Verify(ctx context.Context) ([]string, error) {
	return s.verify(ctx, s.read)
}

// verify is Verify reading through db: the read pool, or a transaction
// that has not committed yet.
func (s *Store) verify(ctx context.Context, db querier) ([]string, error) {
	events, err := s.loadEvents(ctx, db, "", 0)
	if err != nil {
		return nil, err
	}
	var diffs []string
	next := map[string]int{}
	for _, e := range events {
		if e.Version != next[e.Stream]+1 {
			diffs = append(diffs, fmt.Sprintf("events: stream %s jumps from version %d to %d at seq %d", e.Stream, next[e.Stream], e.Version, e.Seq))
		}
		next[e.Stream] = e.Version
	}
	reg := pvczar.Replay(s.config, events)
	for _, a := range reg.Anomalies {
		diffs = append(diffs, "log: "+a)
	}
	for _, t := range append([]table{usersTable}, protocolTables...) {
		var want [][]string
		if t.name == "users" {
			want = t.rows(reg, nil, "")
		} else {
			for _, p := range reg.SortedProtocols() {
				want = append(want, t.rows(reg, p, "")...)
			}
		}
		got, err := s.readRows(ctx, db, t)
		if err != nil {
			return nil, err
		}
		diffs = append(diffs, compareRows(t, want, got)...)
	}
	return diffs, nil
}

func (s *Store) readRows(ctx context.Context, db querier, t table) ([][]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT "+strings.Join(t.columns, ", ")+" FROM "+t.name)
	if err != nil {
		return nil, s.describe(err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		row := make([]string, len(t.columns))
		ptrs := make([]any, len(row))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// compareRows lists rows missing from the table, rows it should not have,
// and rows whose cells differ.
func compareRows(t table, want, got [][]string) []string {
	index := func(rows [][]string) map[string][]string {
		m := map[string][]string{}
		for _, r := range rows {
			m[rowKey(t, r)] = r
		}
		return m
	}
	w, g := index(want), index(got)
	var keys []string
	for k := range w {
		keys = append(keys, k)
	}
	for k := range g {
		if _, ok := w[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var diffs []string
	for _, k := range keys {
		wr, inW := w[k]
		gr, inG := g[k]
		switch {
		case !inG:
			diffs = append(diffs, fmt.Sprintf("%s: row %s is missing", t.name, k))
		case !inW:
			diffs = append(diffs, fmt.Sprintf("%s: row %s should not exist", t.name, k))
		default:
			for i := range wr {
				if wr[i] != gr[i] {
					diffs = append(diffs, fmt.Sprintf("%s: row %s: %s is %q, the log says %q", t.name, k, t.columns[i], clip(gr[i]), clip(wr[i])))
				}
			}
		}
	}
	return diffs
}

func rowKey(t table, row []string) string {
	parts := make([]string, len(t.key))
	for i, c := range t.key {
		parts[i] = row[c]
	}
	return strings.Join(parts, "/")
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
