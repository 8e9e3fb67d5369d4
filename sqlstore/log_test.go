package sqlstore_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/sqlstore"
)

// seedLog is a log as ExportLog writes it: users, a protocol, a clock
// event with a key, data with characters JSON may escape.
const seedLog = `{"seq":1,"stream":"users","version":1,"key":"","type":"user.added","at":"2026-03-02T09:00:00Z","actor":"george","source":"cli","data":{"user":"george","role":"czar"},"recorded_at":"2026-03-02T09:00:01.123456789Z"}
{"seq":2,"stream":"protocol:pvfoo","version":1,"key":"","type":"protocol.registered","at":"2026-03-02T09:00:00Z","actor":"george","source":"cli","data":{"protocol":"pvfoo","title":"PV \u003cFoo\u003e & é"},"recorded_at":"2026-03-02T09:00:02Z"}
{"seq":5,"stream":"protocol:pvfoo","version":2,"key":"stale:pvfoo:2026-09-02","type":"protocol.stale","at":"2026-09-02T09:00:00Z","actor":"clock","source":"clock","data":{"protocol":"pvfoo"},"recorded_at":"2026-09-02T09:00:03Z"}
`

func readAll(t *testing.T, log []byte) ([]sqlstore.LogEvent, []pvczar.Event, error) {
	t.Helper()
	var events []sqlstore.LogEvent
	var read []pvczar.Event
	err := sqlstore.ReadLog("fuzz.jsonl", bytes.NewReader(log), func(line int, e sqlstore.LogEvent, event pvczar.Event) error {
		if line != len(events)+1 {
			t.Fatalf("line %d after %d events", line, len(events))
		}
		if event.Seq != e.Seq || event.Stream != e.Stream || event.Version != e.Version || event.Key != e.Key || event.Type != e.Type ||
			event.At.Format(time.RFC3339) != e.At || event.Actor != e.Actor || event.Source != e.Source {
			t.Fatalf("line %d: the event %+v is not the line %+v", line, event, e)
		}
		events, read = append(events, e), append(read, event)
		return nil
	})
	return events, read, err
}

// writeLog writes events as ExportLog does.
func writeLog(t *testing.T, events []sqlstore.LogEvent) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, e := range events {
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestReadLog(t *testing.T) {
	events, datas, err := readAll(t, []byte(seedLog))
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 || events[2].Seq != 5 || events[2].Key != "stale:pvfoo:2026-09-02" || datas[1].Data.Title != "PV <Foo> & é" {
		t.Fatalf("read %+v %+v", events, datas)
	}
	// Written again as ExportLog writes, the log is the same, byte for byte.
	if diff := cmp.Diff(seedLog, string(writeLog(t, events))); diff != "" {
		t.Errorf("the log written again differs (-read +written):\n%s", diff)
	}
}

// FuzzReadLog: ReadLog never panics; what it reads is in order, each error
// names its line, and a log it accepts, written again, reads the same.
func FuzzReadLog(f *testing.F) {
	f.Add([]byte(seedLog))
	for _, line := range strings.SplitAfter(seedLog, "\n") {
		f.Add([]byte(line))
	}
	for _, seed := range []string{"", "\n", "{}\n", "null\n", `{"seq":1}`, `[1,2]`, seedLog + "{\n", strings.Replace(seedLog, `"version":2`, `"version":1`, 1),
		strings.Replace(seedLog, `"data":{"protocol":"pvfoo"}`, `"data":{"owners":"x"}`, 1), strings.Replace(seedLog, `"key":""`, `"key":null`, 1)} {
		f.Add([]byte(seed))
	}
	lineErr := regexp.MustCompile(`^fuzz\.jsonl:[1-9][0-9]*: `)
	f.Fuzz(func(t *testing.T, log []byte) {
		events, datas, err := readAll(t, log)
		if err != nil {
			if !lineErr.MatchString(pvczar.ErrorMessage(err)) || pvczar.ErrorCode(err) != pvczar.EINVALID {
				t.Fatalf("error without its line, or not invalid input: %v", err)
			}
			return
		}
		for i := 1; i < len(events); i++ {
			if events[i].Seq <= events[i-1].Seq {
				t.Fatalf("seq %d after %d", events[i].Seq, events[i-1].Seq)
			}
		}
		again := writeLog(t, events)
		events2, datas2, err := readAll(t, again)
		if err != nil {
			t.Fatalf("an accepted log, written again, is refused: %v\n%s", err, again)
		}
		if diff := cmp.Diff(events, events2); diff != "" {
			t.Fatalf("read again differently:\n%s", diff)
		}
		if diff := cmp.Diff(datas, datas2); diff != "" {
			t.Fatalf("data read again differently:\n%s", diff)
		}
	})
}
