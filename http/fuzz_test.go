package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// FuzzDecodeCommand feeds arbitrary bodies to every command route's
// decoder: it never panics, and what it refuses it refuses as invalid input
// with a message, never as an internal error.
func FuzzDecodeCommand(f *testing.F) {
	for _, seed := range []string{`{}`, `{"kind":"ack","text":"x"}`, `{"days":7}`, `{"days":"7"}`, `[1]`, `null`, `{"owners":["a","b"]}`,
		`{"implementation":{"side":"frontend","codebase":"linux","series":[{"message_id":"m","version":2}]}}`, `{"a":1}{}`, "\xff", `{"text":"\u0000"}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, rt := range commandRoutes {
			if _, err := decodeCommand(rt, []byte(body)); err != nil {
				if pvczar.ErrorCode(err) != pvczar.EINVALID || pvczar.ErrorMessage(err) == "" {
					t.Fatalf("%s %s: %q: %v is not an invalid-input error", rt.Method, rt.Path, body, err)
				}
			}
		}
	})
}

// FuzzFormData: any form decodes to a command or an invalid-input error.
func FuzzFormData(f *testing.F) {
	f.Add("kind=ack&text=hi")
	f.Add("days=x&reason=%00")
	f.Add("owners=a,+b&title=%E2%80%AE")
	f.Add("code_base=linux&side=frontend&series_message_id=m&series_version=x")
	f.Add("code_base=qemu&side=backend&series_message_id=m&series_version=-2&support=Supported")
	f.Fuzz(func(t *testing.T, query string) {
		form, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		r := &http.Request{PostForm: form}
		for _, rt := range commandRoutes {
			if _, err := formData(rt, r); err != nil && pvczar.ErrorCode(err) != pvczar.EINVALID {
				t.Fatalf("%s: %q: %v", rt.Path, query, err)
			}
		}
	})
}

// FuzzSafeNext: a redirect after sign-in never leaves the site.
func FuzzSafeNext(f *testing.F) {
	for _, seed := range []string{"/", "/proposals/x-1", "//evil.example", "https://evil.example/", `/\evil`, "/%2F%2Fevil", "javascript:alert(1)", " /x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		u, err := url.Parse(got)
		if err != nil || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.Contains(got, `\`) || u.Host != "" || u.Scheme != "" {
			t.Fatalf("safeNext(%q) = %q leaves the site", next, got)
		}
	})
}

// FuzzParseETag: any If-Match header is a version or an invalid-input error.
func FuzzParseETag(f *testing.F) {
	for _, seed := range []string{`"12"`, `W/"3"`, `*`, `""`, `"-1"`, `"99999999999999999999"`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, h string) {
		n, err := parseETag(h)
		if err == nil && n < 1 {
			t.Fatalf("parseETag(%q) = %d", h, n)
		}
		if err != nil && pvczar.ErrorCode(err) != pvczar.EINVALID {
			t.Fatalf("parseETag(%q): %v", h, err)
		}
	})
}

// TestAxisTicks: the chart's axis starts and ends at the span's ends, marks
// years over long spans and months over short ones, in order.
func TestAxisTicks(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	for _, c := range []struct {
		start, end string
		want       []string
	}{
		{"2017-11-22", "2021-03-01", []string{"2017-11-22", "2019", "2020", "2021-03-01"}},
		{"2026-01-10", "2026-06-20", []string{"2026-01-10", "Feb 2026", "Mar 2026", "Apr 2026", "May 2026", "Jun 2026", "2026-06-20"}},
		{"2026-01-25", "2026-06-05", []string{"2026-01-25", "Mar 2026", "Apr 2026", "May 2026", "2026-06-05"}}, // Feb and Jun too close to the ends
		{"2026-03-01", "2026-03-05", []string{"2026-03-01", "2026-03-05"}},
	} {
		var got []string
		for _, tk := range axisTicks(day(c.start), day(c.end)) {
			got = append(got, tk.label)
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s to %s: %v, want %v", c.start, c.end, got, c.want)
		}
	}
}
