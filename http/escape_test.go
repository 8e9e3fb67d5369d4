package http_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// Hostile strings: a script, attribute and tag breakers, a very long word,
// and right-to-left overrides.
var hostile = []string{
	`<script>alert("x")</script>`,
	`"><img src=x onerror=alert(1)>`,
	`' onmouseover='alert(2)`,
	`</textarea><svg onload=alert(3)>`,
	`]]><!-- -->&amp;`,
	strings.Repeat("W", 3000),
	"\u202Egnp.exe\u202C and \u05e9\u05dc\u05d5\u05dd",
}

// TestHostileTextIsEscaped puts hostile strings in every field a person can
// write (titles, display names, reasons, objections, answers, positions,
// holds, known issues) and checks every page, the Atom feed and the chart:
// no hostile markup comes through, and right-to-left text is isolated.
func TestHostileTextIsEscaped(t *testing.T) {
	env := newTestEnv(t)
	all := strings.Join(hostile, " ")
	js := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	steps := []struct{ method, path, user, body string }{
		{"POST", "/api/v1/users", "czar", `{"user":"mallory","role":"reviewer","display":` + js(all) + `,"email":"mallory@example.org"}`},
		{"PATCH", "/api/v1/protocols/testif", "author", `{"title":` + js(all) + `}`},
		{"POST", "/api/v1/protocols/testif/known-issues", "author", `{"text":` + js(all) + `}`},
		{"POST", "/api/v1/proposals/testif-1/positions", "maint", `{"kind":"comment","text":` + js(all) + `}`},
		{"POST", "/api/v1/proposals/testif-1/objections", "reviewer", `{"objection":"evil","about":` + js(all) + `,"resolution":` + js(all) + `,"reason":` + js(all) + `}`},
		{"POST", "/api/v1/proposals/testif-1/objections/evil/answer", "author", `{"text":` + js(all) + `}`},
		{"POST", "/api/v1/proposals/testif-1/holds", "maint", `{"reason":` + js(all) + `}`},
		{"POST", "/api/v1/protocols", "czar", `{"protocol":"evilif","title":` + js(all) + `,"owners":["author"],"reason":` + js(all) + `}`},
	}
	for _, s := range steps {
		if status, body := env.request(s.method, s.path, s.user, s.body); status != 201 {
			t.Fatalf("%s %s: %d %s", s.method, s.path, status, body)
		}
	}
	c, _ := signIn(t, env, "czar") // signed in, the forms show too
	for _, path := range []string{"/", "/protocols/testif", "/protocols/evilif", "/proposals/testif-1", "/queue", "/activity", "/digest", "/chart", "/signin", "/protocols/%3Cscript%3E"} {
		page := get(t, c, env.URL+path)
		for _, bad := range []string{"<script", "<img", "<svg onload", "onmouseover='", "</textarea><svg"} {
			if strings.Contains(page, bad) {
				t.Errorf("%s: hostile markup %q came through", path, bad)
			}
		}
		if path == "/proposals/testif-1" && !strings.Contains(page, "&lt;script&gt;") {
			t.Errorf("%s: the hostile text is not shown escaped", path)
		}
		checkIsolated(t, path, page, "\u202E")
	}
	for _, path := range []string{"/activity.atom", "/chart.svg"} {
		resp, err := http.Get(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		buf := make([]byte, 64<<10)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		for _, bad := range []string{"<script", "<img", "<svg onload"} {
			if strings.Contains(b.String(), bad) {
				t.Errorf("%s: hostile markup %q came through", path, bad)
			}
		}
	}
}

// checkIsolated checks that every occurrence of a bidi override sits in an
// element that isolates its direction (dir="auto" or <bdi>), or in <title>,
// <pre> or <textarea> text, so that it cannot reverse the text around it.
func checkIsolated(t *testing.T, path, page, mark string) {
	t.Helper()
	for i := strings.Index(page, mark); i >= 0; {
		open := strings.LastIndex(page[:i], "<")
		tag := page[open:min(len(page), open+200)]
		tag = tag[:strings.IndexByte(tag, '>')+1]
		if !strings.Contains(tag, `dir="auto"`) && !strings.HasPrefix(tag, "<bdi") && !strings.HasPrefix(tag, "<title") {
			t.Errorf("%s: right-to-left override inside %s, which does not isolate it", path, tag)
			return
		}
		next := strings.Index(page[i+len(mark):], mark)
		if next < 0 {
			break
		}
		i += len(mark) + next
	}
}
