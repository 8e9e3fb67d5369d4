package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/sqlstore"
)

// testExportImportRoundTrip: a log exported and imported into a new store
// gives the same log byte for byte, the same registry, a clean audit, and
// a store that goes on from the last seq.
func testExportImportRoundTrip(t *testing.T, opener Opener) {
	ctx := context.Background()
	openA, _ := opener(t)
	a := onDatabase(t, openA())
	defer a.Close()
	setup(t, a)
	act(t, a, at(2, 0), "bob", pvczar.EventObjectionRaised, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring", About: "<ring> & co", Resolution: "b", Reason: "c"})
	if _, err := a.Tick(ctx, at(20, 0), false); err != nil { // clock events, with keys
		t.Fatal(err)
	}
	var many []pvczar.Event // enough for an import of several statements
	for i := range 1100 {
		many = append(many, pvczar.Event{Type: pvczar.EventProtocolRegistered, At: at(21, 0), Actor: "alice", Source: pvczar.SourceCLI,
			Data: pvczar.EventData{Protocol: fmt.Sprintf("pv%04d", i), Title: "one of many"}})
	}
	if _, err := a.ActAll(ctx, many); err != nil {
		t.Fatal(err)
	}
	var exported bytes.Buffer
	n, err := a.ExportLog(ctx, &exported)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(exported.String(), "\n"); n < 1112 || lines != n {
		t.Fatalf("exported %d events in %d lines", n, lines)
	}
	if !strings.Contains(exported.String(), `"key":"`) {
		t.Fatalf("no clock event with a key in the log:\n%s", exported.String())
	}

	openB, _ := opener(t)
	b := onDatabase(t, openB())
	defer b.Close()
	got, err := b.ImportLog(ctx, "log.jsonl", bytes.NewReader(exported.Bytes()))
	if err != nil || got != n {
		t.Fatalf("import: %d of %d events: %v", got, n, err)
	}
	verifyClean(t, b)
	var again bytes.Buffer
	if _, err := b.ExportLog(ctx, &again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(exported.Bytes(), again.Bytes()) {
		t.Fatalf("the imported log exports differently:\n%s\nwant:\n%s", again.String(), exported.String())
	}
	regA, err := a.Registry(ctx, at(30, 0))
	if err != nil {
		t.Fatal(err)
	}
	regB, err := b.Registry(ctx, at(30, 0))
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(regA)
	jb, _ := json.Marshal(regB)
	if !bytes.Equal(ja, jb) {
		t.Errorf("the registries differ:\n%s\n%s", ja, jb)
	}
	last, err := a.Events(ctx, pvczar.EventFilter{Newest: true, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	e := act(t, b, at(30, 0), "alice", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "pvbar", Title: "PV Bar"})
	if e.Seq != last[0].Seq+1 {
		t.Errorf("the first event after the import is seq %d, want %d", e.Seq, last[0].Seq+1)
	}
	if _, err := b.ImportLog(ctx, "log.jsonl", bytes.NewReader(exported.Bytes())); pvczar.ErrorCode(err) != pvczar.ECONFLICT || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("import into a store with events: %v", err)
	}
}

// testImportRefusals: a log with a bad line, events out of order or a fold
// that disagrees with itself is refused, naming the line and the field, and
// the store is left empty.
func testImportRefusals(t *testing.T, opener Opener) {
	ctx := context.Background()
	openA, _ := opener(t)
	a := onDatabase(t, openA())
	setup(t, a)
	var buf bytes.Buffer
	if _, err := a.ExportLog(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	a.Close()
	lines := strings.SplitAfter(strings.TrimSuffix(buf.String(), "\n"), "\n")
	edit := func(i int, old, new string) string {
		out := append([]string(nil), lines...)
		if !strings.Contains(out[i], old) {
			t.Fatalf("line %d lacks %q: %s", i+1, old, out[i])
		}
		out[i] = strings.Replace(out[i], old, new, 1)
		return strings.Join(out, "")
	}
	swapped := append([]string(nil), lines...)
	swapped[3], swapped[4] = swapped[4], swapped[3] // seq 5 before seq 4, streams in order
	tests := []struct {
		name, log, want string
	}{
		{"not JSON", edit(4, `{"seq"`, `{seq`), `log.jsonl:5: not a JSON object`},
		{"missing field", edit(3, `"actor":"george",`, ``), `log.jsonl:4: field "actor" is missing`},
		{"unknown field", edit(3, `"actor":`, `"colour":"red","actor":`), `log.jsonl:4: unknown field "colour"`},
		{"wrong kind", edit(1, `"version":2`, `"version":"2"`), `log.jsonl:2: field "version"`},
		{"fractional time", edit(0, `T09:00:00Z"`, `T09:00:00.5Z"`), `log.jsonl:1: field "at"`},
		{"bad data", edit(4, `"title":"PV Foo"`, `"title":7`), `log.jsonl:5: field "data": title`},
		{"another stream", edit(4, `"stream":"protocol:pvfoo"`, `"stream":"protocol:pvbar"`), `log.jsonl:5: field "stream"`},
		{"out of order", strings.Join(swapped, ""), `log.jsonl:5: field "seq": 4 does not follow 5 (line 4)`},
		{"version gap", edit(1, `"version":2`, `"version":3`), `log.jsonl:2: field "version"`},
		{"unknown type", edit(5, `"type":"evidence.recorded"`, `"type":"evidence.forged"`), "difference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open, _ := opener(t)
			s := onDatabase(t, open())
			defer s.Close()
			_, err := s.ImportLog(ctx, "log.jsonl", strings.NewReader(tt.log))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
			var audit *sqlstore.AuditError
			if wantAudit := tt.want == "difference"; errors.As(err, &audit) != wantAudit {
				t.Errorf("audit error %v, want %v: %v", !wantAudit, wantAudit, err)
			} else if !wantAudit && pvczar.ErrorCode(err) != pvczar.EINVALID {
				t.Errorf("code %s, want invalid: %v", pvczar.ErrorCode(err), err)
			}
			if events, err := s.Events(ctx, pvczar.EventFilter{}); err != nil || len(events) != 0 {
				t.Errorf("a refused import left %d events (%v)", len(events), err)
			}
			verifyClean(t, s)
		})
	}
}
