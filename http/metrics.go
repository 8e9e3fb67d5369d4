package http

import (
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// metrics counts requests and their durations per route, and what the
// scheduler and sign-in did, for Prometheus's text format at /metrics.
type metrics struct {
	mu        sync.Mutex
	requests  map[requestKey]int64
	durations map[string]*histogram
	counters  map[string]int64 // plain counters by full metric name
}

type requestKey struct {
	route, method string
	status        int
}

var durationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

type histogram struct {
	counts []int64 // per bucket, not cumulative
	sum    float64
	count  int64
}

func newMetrics() *metrics {
	return &metrics{requests: map[requestKey]int64{}, durations: map[string]*histogram{}, counters: map[string]int64{}}
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{route, method, status}]++
	h := m.durations[route]
	if h == nil {
		h = &histogram{counts: make([]int64, len(durationBuckets))}
		m.durations[route] = h
	}
	sec := d.Seconds()
	for i, b := range durationBuckets {
		if sec <= b {
			h.counts[i]++
			break
		}
	}
	h.sum += sec
	h.count++
}

func (m *metrics) add(name string, n int64) {
	m.mu.Lock()
	m.counters[name] += n
	m.mu.Unlock()
}

var counterHelp = map[string]string{
	"pvczar_scheduler_runs_total":           "Times the scheduler looked at the clock.",
	"pvczar_scheduler_events_written_total": "Clock events the scheduler wrote (window closed, objection lapsed, ...).",
	"pvczar_scheduler_errors_total":         "Scheduler runs that failed.",
	"pvczar_signin_failures_total":          "Failed sign-in attempts.",
	"pvczar_signin_limited_total":           "Sign-in attempts refused by the rate limit.",
}

func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintln(w, "# HELP pvczar_http_requests_total HTTP requests by route, method and status.")
	fmt.Fprintln(w, "# TYPE pvczar_http_requests_total counter")
	keys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.route != b.route {
			return a.route < b.route
		}
		if a.method != b.method {
			return a.method < b.method
		}
		return a.status < b.status
	})
	for _, k := range keys {
		fmt.Fprintf(w, "pvczar_http_requests_total{route=%s,method=%s,status=\"%d\"} %d\n", strconv.Quote(k.route), strconv.Quote(k.method), k.status, m.requests[k])
	}
	fmt.Fprintln(w, "# HELP pvczar_http_request_duration_seconds Time to serve HTTP requests by route.")
	fmt.Fprintln(w, "# TYPE pvczar_http_request_duration_seconds histogram")
	routes := make([]string, 0, len(m.durations))
	for r := range m.durations {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, r := range routes {
		h := m.durations[r]
		var cum int64
		for i, b := range durationBuckets {
			cum += h.counts[i]
			fmt.Fprintf(w, "pvczar_http_request_duration_seconds_bucket{route=%s,le=\"%g\"} %d\n", strconv.Quote(r), b, cum)
		}
		fmt.Fprintf(w, "pvczar_http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", strconv.Quote(r), h.count)
		fmt.Fprintf(w, "pvczar_http_request_duration_seconds_sum{route=%s} %g\n", strconv.Quote(r), h.sum)
		fmt.Fprintf(w, "pvczar_http_request_duration_seconds_count{route=%s} %d\n", strconv.Quote(r), h.count)
	}
	names := make([]string, 0, len(counterHelp))
	for n := range counterHelp {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", n, counterHelp[n], n, n, m.counters[n])
	}
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if want := s.opts.MetricsToken; want != "" {
		got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="pvczar metrics"`)
			s.fail(w, r, &statusError{http.StatusUnauthorized, "/metrics needs its token: send \"Authorization: Bearer <token>\""})
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w)
}
