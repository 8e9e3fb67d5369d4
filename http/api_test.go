package http_test

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

func TestProposalReadAndPosition(t *testing.T) {
	env := newTestEnv(t)
	status, body := env.request("GET", "/api/v1/proposals/testif-1", "", "")
	if status != 200 || !strings.Contains(body, `"blocking": true`) {
		t.Fatalf("GET proposal: %d %s", status, body)
	}
	status, body = env.request("POST", "/api/v1/proposals/testif-1/positions", "maint", `{"kind":"ack","text":"fine"}`)
	if status != 201 {
		t.Fatalf("POST position: %d %s", status, body)
	}
	var e struct {
		Actor string `json:"actor"`
		Seq   int64  `json:"seq"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Actor != "maint" || e.Seq == 0 {
		t.Fatalf("event %s: %v", body, err)
	}
}

// TestPagination walks the events and the users page by page: every item
// comes exactly once, in order.
func TestPagination(t *testing.T) {
	env := newTestEnv(t)
	for _, list := range []struct{ path, key string }{{"/api/v1/events", "seq"}, {"/api/v1/users", "name"}} {
		var seen []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > 100 {
				t.Fatalf("%s: pagination does not end", list.path)
			}
			status, body := env.request("GET", list.path+"?limit=3&after="+after, "", "")
			if status != 200 {
				t.Fatalf("%s: %d %s", list.path, status, body)
			}
			var p struct {
				Items []map[string]any `json:"items"`
				Next  string           `json:"next"`
			}
			if err := json.Unmarshal([]byte(body), &p); err != nil {
				t.Fatal(err)
			}
			if len(p.Items) > 3 {
				t.Fatalf("%s: %d items on a page of 3", list.path, len(p.Items))
			}
			for _, it := range p.Items {
				seen = append(seen, strings.TrimSuffix(strings.TrimSuffix(jsonString(it[list.key]), ".0"), "\n"))
			}
			if p.Next == "" {
				break
			}
			after = p.Next
		}
		_, body := env.request("GET", list.path+"?limit=500", "", "")
		var all struct {
			Items []map[string]any `json:"items"`
		}
		json.Unmarshal([]byte(body), &all)
		if len(seen) != len(all.Items) {
			t.Fatalf("%s: pages gave %d items, one page %d", list.path, len(seen), len(all.Items))
		}
		for i, it := range all.Items {
			if jsonString(it[list.key]) != seen[i] {
				t.Fatalf("%s: item %d differs: %v vs %v", list.path, i, it[list.key], seen[i])
			}
		}
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}

// TestMetricsAndFeed: /metrics counts requests by route in Prometheus's
// text format; the Atom feed is well-formed XML with one entry per event.
func TestMetricsAndFeed(t *testing.T) {
	env := newTestEnv(t)
	env.request("GET", "/api/v1/status", "", "")
	env.request("GET", "/api/v1/status", "", "")
	_, metrics := env.request("GET", "/metrics", "", "")
	for _, want := range []string{
		`pvczar_http_requests_total{route="GET /api/v1/status",method="GET",status="200"} 2`,
		`pvczar_http_request_duration_seconds_count{route="GET /api/v1/status"} 2`,
		"# TYPE pvczar_scheduler_events_written_total counter",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}
	status, feed := env.request("GET", "/activity.atom", "", "")
	var parsed struct {
		XMLName xml.Name
		Entries []struct {
			Title string `xml:"title"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(feed), &parsed); err != nil || status != 200 {
		t.Fatalf("feed: %d %v", status, err)
	}
	if parsed.XMLName.Space != "http://www.w3.org/2005/Atom" || len(parsed.Entries) != eventCount(t, env) {
		t.Fatalf("feed: %s with %d entries, log has %d events", parsed.XMLName.Space, len(parsed.Entries), eventCount(t, env))
	}
	if !strings.Contains(parsed.Entries[0].Title, "objected to testif-1") {
		t.Errorf("the newest entry is %q, want the objection", parsed.Entries[0].Title)
	}
}

// TestCachedReadsFollowTheState: anonymous reads are served from a render
// cache, which must never show an older state: a write, or a second
// passing, shows at once.
func TestCachedReadsFollowTheState(t *testing.T) {
	env := newTestEnv(t)
	_, first := env.request("GET", "/proposals/testif-1", "", "")
	if _, again := env.request("GET", "/proposals/testif-1", "", ""); again != first {
		t.Fatal("two reads of one state differ")
	}
	if status, body := env.request("POST", "/api/v1/proposals/testif-1/positions", "maint", `{"kind":"ack","text":"cache-buster"}`); status != 201 {
		t.Fatalf("ack: %d %s", status, body)
	}
	if _, after := env.request("GET", "/proposals/testif-1", "", ""); !strings.Contains(after, "cache-buster") {
		t.Fatal("the page read after a write does not show it")
	}
	_, api := env.request("GET", "/api/v1/proposals/testif-1", "", "")
	if !strings.Contains(api, "cache-buster") {
		t.Fatal("the API read after a write does not show it")
	}
	env.advance(time.Second)
	if _, later := env.request("GET", "/", "", ""); !strings.Contains(later, "09:00:01 UTC") {
		t.Fatal("the board read a second later is not evaluated then")
	}
	if _, then := env.request("GET", "/api/v1/status?now=2030-01-01", "", ""); !strings.Contains(then, `"now": "2030-01-01T00:00:00Z"`) {
		t.Fatal("?now= is not evaluated at that instant")
	}
	// A proposal page rendered once per reader carries each reader's own
	// CSRF token, never another's or the stand-in.
	ca, csrfA := signIn(t, env, "reviewer")
	cb, csrfB := signIn(t, env, "objector")
	for i := 0; i < 2; i++ {
		pa, pb := get(t, ca, env.URL+"/proposals/testif-1"), get(t, cb, env.URL+"/proposals/testif-1")
		if strings.Count(pa, csrfA) < 3 || strings.Contains(pa, csrfB) || strings.Contains(pb, csrfA) || strings.Contains(pa+pb, "STAND_IN") {
			t.Fatal("a proposal page carries another reader's CSRF token, or none")
		}
	}
	// The shared part of a page rendered for one reader is framed for the
	// next: a signed-in reader sees themselves, an anonymous one does not.
	c, _ := signIn(t, env, "maint")
	for i := 0; i < 2; i++ {
		if page := get(t, c, env.URL+"/queue"); !strings.Contains(page, "<bdi>maint</bdi>") {
			t.Fatal("a signed-in reader's page does not say who is signed in")
		}
		if _, page := env.request("GET", "/queue", "", ""); strings.Contains(page, "<bdi>maint</bdi>") || !strings.Contains(page, `href="/signin"`) {
			t.Fatal("an anonymous reader got a signed-in reader's page")
		}
	}
}
