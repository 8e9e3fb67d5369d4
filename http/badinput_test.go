package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// eventCount returns how many events the log holds.
func eventCount(t *testing.T, env *testEnv) int {
	t.Helper()
	events, err := env.store.Events(context.Background(), pvczarAll)
	if err != nil {
		t.Fatal(err)
	}
	return len(events)
}

// TestBadInputAPI sends what a careless or hostile client sends: each gets
// a JSON error with the right status and code, and nothing is stored.
func TestBadInputAPI(t *testing.T) {
	env := newTestEnv(t)
	before := eventCount(t, env)
	big := `{"kind":"comment","text":"` + strings.Repeat("x", 70<<10) + `"}`
	cases := []struct {
		name, method, path, user, body string
		header                         map[string]string
		status                         int
		code, message                  string
	}{
		{"malformed JSON", "POST", "/api/v1/proposals/testif-1/positions", "maint", `{"kind": "ack",`, nil, 400, "invalid", "not valid JSON"},
		{"not an object", "POST", "/api/v1/proposals/testif-1/positions", "maint", `["ack"]`, nil, 400, "invalid", "JSON object"},
		{"unknown field", "POST", "/api/v1/proposals/testif-1/positions", "maint", `{"kind":"ack","actor":"czar"}`, nil, 400, "invalid", `unknown field "actor"`},
		{"field of another route", "POST", "/api/v1/proposals/testif-1/positions", "maint", `{"kind":"ack","outcome":"accepted"}`, nil, 400, "invalid", `unknown field "outcome"`},
		{"wrong type", "POST", "/api/v1/proposals/testif-1/extend", "czar", `{"days":"seven"}`, nil, 400, "invalid", "field days"},
		{"trailing data", "POST", "/api/v1/proposals/testif-1/positions", "maint", `{"kind":"ack"} {}`, nil, 400, "invalid", "after the JSON object"},
		{"bad kind", "POST", "/api/v1/proposals/testif-1/positions", "maint", `{"kind":"+1"}`, nil, 400, "invalid", "unknown position"},
		{"oversized body", "POST", "/api/v1/proposals/testif-1/positions", "maint", big, nil, 413, "too_large", "64 KiB"},
		{"wrong media type", "POST", "/api/v1/proposals/testif-1/positions", "maint", `kind=ack`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type", "application/json"},
		{"bad token", "POST", "/api/v1/proposals/testif-1/positions", "", `{"kind":"ack"}`, map[string]string{"Authorization": "Bearer pvz_forged"}, 401, "unauthorized", "token"},
		{"not a bearer token", "GET", "/api/v1/status", "", ``, map[string]string{"Authorization": "Basic Y3phcjpjemFy"}, 401, "unauthorized", "Bearer"},
		{"no token", "POST", "/api/v1/proposals/testif-1/positions", "", `{"kind":"ack"}`, nil, 401, "unauthorized", "token"},
		{"unknown proposal", "POST", "/api/v1/proposals/nope-1/positions", "maint", `{"kind":"ack"}`, nil, 404, "not_found", "nope-1"},
		{"bad issue number", "POST", "/api/v1/protocols/testif/known-issues/x/close", "czar", `{}`, nil, 400, "invalid", "numbered"},
		{"stale If-Match", "POST", "/api/v1/proposals/testif-1/positions", "maint", `{"kind":"ack"}`, map[string]string{"If-Match": `"1"`}, 412, "stale", "changed since"},
		{"bad If-Match", "POST", "/api/v1/proposals/testif-1/positions", "maint", `{"kind":"ack"}`, map[string]string{"If-Match": `yesterday`}, 400, "invalid", "If-Match"},
		{"wrong method", "DELETE", "/api/v1/proposals/testif-1/positions", "maint", ``, nil, 405, "method_not_allowed", "POST"},
		{"path traversal", "GET", "/api/v1/protocols/..%2f..%2fetc%2fpasswd", "", ``, nil, 404, "not_found", "unknown protocol"},
		{"bad limit", "GET", "/api/v1/protocols?limit=100000", "", ``, nil, 400, "invalid", "limit"},
		{"bad now", "GET", "/api/v1/status?now=tomorrow", "", ``, nil, 400, "invalid", "now"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, env.URL+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if c.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if c.user != "" {
				req.Header.Set("Authorization", "Bearer "+env.tokens[c.user])
			}
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Error struct{ Code, Message string }
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("status %d: the body is not a JSON error: %v", resp.StatusCode, err)
			}
			if resp.StatusCode != c.status || body.Error.Code != c.code || !strings.Contains(body.Error.Message, c.message) {
				t.Errorf("got %d %s %q; want %d %s with %q", resp.StatusCode, body.Error.Code, body.Error.Message, c.status, c.code, c.message)
			}
		})
	}
	if after := eventCount(t, env); after != before {
		t.Fatalf("bad requests stored %d events", after-before)
	}
	// The server keeps serving.
	if status, _ := env.request("POST", "/api/v1/proposals/testif-1/positions", "maint", `{"kind":"ack"}`); status != 201 {
		t.Fatalf("a good request after the bad ones: %d", status)
	}
}

// TestIfMatch: a write with the ETag just read succeeds; a second write
// with the same, now stale, ETag is refused with 412 and stores nothing.
func TestIfMatch(t *testing.T) {
	env := newTestEnv(t)
	resp, err := http.Get(env.URL + "/api/v1/proposals/testif-1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tag := resp.Header.Get("ETag")
	if !regexp.MustCompile(`^"\d+"$`).MatchString(tag) {
		t.Fatalf("ETag %q", tag)
	}
	post := func() int {
		req, _ := http.NewRequest("POST", env.URL+"/api/v1/proposals/testif-1/positions", strings.NewReader(`{"kind":"review"}`))
		req.Header.Set("Authorization", "Bearer "+env.tokens["reviewer"])
		req.Header.Set("If-Match", tag)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(); got != 201 {
		t.Fatalf("first write with a fresh ETag: %d", got)
	}
	before := eventCount(t, env)
	if got := post(); got != 412 {
		t.Fatalf("second write with the same ETag: %d, want 412", got)
	}
	if eventCount(t, env) != before {
		t.Fatal("a stale write stored an event")
	}
}

// signIn signs user in with their token through the form and returns a
// client holding the session cookie, and the session's CSRF token.
func signIn(t *testing.T, env *testEnv, user string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := get(t, c, env.URL+"/signin")
	csrf := hiddenCSRF(t, page)
	resp, err := c.PostForm(env.URL+"/signin", url.Values{"csrf": {csrf}, "token": {env.tokens[user]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d", user, resp.StatusCode)
	}
	return c, hiddenCSRF(t, get(t, c, env.URL+"/proposals/testif-1"))
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func hiddenCSRF(t *testing.T, page string) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf input in the page:\n%s", page)
	}
	return m[1]
}

// TestBadInputForms: a form without its CSRF token, a form from an expired
// session, and a sign-in without the sign-in cookie are refused with an
// HTML page that says why, and store nothing.
func TestBadInputForms(t *testing.T) {
	env := newTestEnv(t)
	c, csrf := signIn(t, env, "maint")
	before := eventCount(t, env)
	postForm := func(form url.Values) (int, string) {
		resp, err := c.PostForm(env.URL+"/ui/proposals/testif-1/positions", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 8192)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	if status, page := postForm(url.Values{"kind": {"ack"}}); status != 403 || !strings.Contains(page, "security token") {
		t.Errorf("form without csrf: %d", status)
	}
	if status, _ := postForm(url.Values{"kind": {"ack"}, "csrf": {"forged"}}); status != 403 {
		t.Errorf("form with a forged csrf: %d", status)
	}
	if eventCount(t, env) != before {
		t.Fatal("a refused form stored an event")
	}
	if status, _ := postForm(url.Values{"kind": {"ack"}, "csrf": {csrf}}); status != http.StatusSeeOther {
		t.Fatalf("a good form: %d", status)
	}
	env.advance(13 * time.Hour) // sessions last 12 hours
	if status, page := postForm(url.Values{"kind": {"comment"}, "csrf": {csrf}}); status != 401 || !strings.Contains(page, "expired") {
		t.Errorf("form from an expired session: %d", status)
	}
	resp, err := http.PostForm(env.URL+"/signin", url.Values{"csrf": {"x"}, "token": {env.tokens["maint"]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("sign-in without the sign-in cookie: %d, want 403", resp.StatusCode)
	}
}

// TestDatabaseGoneMidway closes the database under a running server: reads
// and writes answer 500 with a JSON error, /healthz answers 503, and the
// server keeps answering.
func TestDatabaseGoneMidway(t *testing.T) {
	env := newTestEnv(t)
	env.store.Close()
	status, body := env.request("POST", "/api/v1/proposals/testif-1/positions", "maint", `{"kind":"ack"}`)
	// The token cannot be checked without the database: 500, not 401.
	if status != 500 || !strings.Contains(body, `"internal"`) {
		t.Errorf("write with the database gone: %d %s", status, body)
	}
	if status, body := env.request("GET", "/api/v1/events", "", ""); status != 500 || !strings.Contains(body, `"internal"`) {
		t.Errorf("read with the database gone: %d %s", status, body)
	}
	if status, body := env.request("GET", "/healthz", "", ""); status != 503 {
		t.Errorf("healthz with the database gone: %d %s", status, body)
	}
	if status, _ := env.request("GET", "/metrics", "", ""); status != 200 {
		t.Errorf("the server stopped answering: /metrics %d", status)
	}
}

// TestSignInRateLimit: after the burst, attempts get 429 with Retry-After.
func TestSignInRateLimit(t *testing.T) {
	env := newTestEnv(t)
	env.server = nil // the env's server has a generous limit; build a strict one
	srv := newStrictSignInServer(t, env)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var statuses []int
	for i := 0; i < 5; i++ {
		csrf := hiddenCSRF(t, get(t, c, srv+"/signin"))
		resp, err := c.PostForm(srv+"/signin", url.Values{"csrf": {csrf}, "user": {"czar"}, "password": {"wrong password!"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	want := []int{401, 401, 401, 429, 429}
	for i := range want {
		if statuses[i] != want[i] {
			t.Fatalf("sign-in attempts: %v, want %v", statuses, want)
		}
	}
}

// TestStaticPathTraversal: the static files are the embedded ones only.
func TestStaticPathTraversal(t *testing.T) {
	env := newTestEnv(t)
	for _, path := range []string{"/static/../go.mod", "/static/..%2f..%2fgo.mod", "/static/%2e%2e/server.go", "/static//etc/passwd", "/static/templates/layout.html"} {
		status, body := env.request("GET", path, "", "")
		if status == 200 && (strings.Contains(body, "module ") || strings.Contains(body, "package http") || strings.Contains(body, "root:") || strings.Contains(body, "{{")) {
			t.Errorf("GET %s served a file outside the static folder", path)
		}
	}
	if status, body := env.request("GET", "/static/style.css", "", ""); status != 200 || !strings.Contains(body, "--accent") {
		t.Fatalf("the stylesheet: %d", status)
	}
}
