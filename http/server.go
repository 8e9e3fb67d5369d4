// Package http serves pvczar over HTTP: the JSON API under /api/v1, the web
// pages (board, protocols, proposals, the Czar's queue, activity, digest),
// sign-in with tokens or passwords, /healthz and /metrics, and the scheduler
// that applies the lifecycle's clock. Client is the other end: it offers the
// same pvczar.Service over HTTP, so the CLI works against a server as it does
// against a database.
package http

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// Limits on what a request may bring.
const (
	maxBodyBytes = 64 << 10
	// maxEvidenceBytes is the evidence route's limit: its body may carry a
	// whole design document and the spec it must agree with.
	maxEvidenceBytes = 2*pvczar.MaxEvidenceText + 64<<10
	// maxImplementationBytes is the implementation route's: its body may
	// carry the result of a conformance run.
	maxImplementationBytes = pvczar.MaxConformanceResult + 64<<10
	maxPageSize            = 500
)

// Options configure a Server; the zero value of each field has a default.
type Options struct {
	Logger *slog.Logger
	// Now is the clock of evaluations, sessions and the scheduler. Commands
	// are stamped by the store's clock, which should be the same.
	Now func() time.Time
	// Health reports whether the database answers (for /healthz).
	Health func(context.Context) error
	// SecureCookies marks session cookies Secure even when the request did
	// not arrive over TLS (behind a TLS-terminating proxy). Requests that
	// arrive over TLS always get Secure cookies.
	SecureCookies bool
	// SessionTTL is how long a web session lasts (default 12 hours).
	SessionTTL time.Duration
	// SignInBurst and SignInEvery limit sign-in attempts per client address
	// and per user name: SignInBurst attempts, then one per SignInEvery
	// (defaults 5 and 1 minute).
	SignInBurst int
	SignInEvery time.Duration
	// TickEvery is the longest the scheduler sleeps between two looks at the
	// clock (default 1 minute); it wakes earlier when a timer is due.
	TickEvery time.Duration
	// MaxConns and MaxConnsPerAddr limit the connections Serve holds open
	// at once, in all and from one client address (defaults 1024 and 64);
	// one beyond them is closed at once.
	MaxConns, MaxConnsPerAddr int
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// MailDomain is the domain of pvczar's Message-IDs, when the server
	// announces proposals by mail: the proposal page links the announcement.
	MailDomain string
}

// Server is the pvczar web server.
type Server struct {
	svc     pvczar.Service
	creds   pvczar.Credentials
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *metrics
	signIns *limiter
	pages   *pages
	cache   renderCache
	// handshakes are the diagrams of handshake failures drawn so far.
	handshakes svgCache
	// routes lists "METHOD /path" of every registered route, for the test
	// that compares them with the OpenAPI document.
	routes []string
	// bodyLimits holds the routes whose bodies may exceed maxBodyBytes,
	// by pattern.
	bodyLimits map[string]int64
	// wake tells the scheduler that a write may have set a new timer.
	wake chan struct{}
}

// New returns a server on svc and creds.
func New(svc pvczar.Service, creds pvczar.Credentials, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Health == nil {
		opts.Health = func(context.Context) error { return nil }
	}
	if opts.SessionTTL == 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.SignInBurst == 0 {
		opts.SignInBurst = 5
	}
	if opts.SignInEvery == 0 {
		opts.SignInEvery = time.Minute
	}
	if opts.TickEvery == 0 {
		opts.TickEvery = time.Minute
	}
	if opts.MaxConns == 0 {
		opts.MaxConns = 1024
	}
	if opts.MaxConnsPerAddr == 0 {
		opts.MaxConnsPerAddr = 64
	}
	s := &Server{svc: svc, creds: creds, opts: opts, log: opts.Logger, mux: http.NewServeMux(),
		metrics: newMetrics(), signIns: newLimiter(opts.SignInBurst, opts.SignInEvery, limiterCapacity), wake: make(chan struct{}, 1), bodyLimits: map[string]int64{}}
	s.pages = newPages()
	s.registerAPI()
	s.registerPages()
	return s
}

// now is the server's clock, to the second.
func (s *Server) now() time.Time { return s.opts.Now().UTC().Truncate(time.Second) }

// Handler returns the server's handler with its middleware: panic recovery,
// request logs, metrics, and identification of the caller.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		_, pattern := s.mux.Handler(r)
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				if !rec.wrote {
					s.fail(rec, r, errors.New("panic"))
				}
			}
			elapsed := time.Since(start)
			s.metrics.observe(pattern, r.Method, rec.status, elapsed)
			s.log.Info("request", "method", r.Method, "path", r.URL.Path, "route", pattern, "status", rec.status,
				"bytes", rec.bytes, "duration_ms", float64(elapsed.Microseconds())/1000, "user", userOf(r.Context()), "remote", clientAddr(r))
		}()
		limit := int64(maxBodyBytes)
		if n := s.bodyLimits[pattern]; n > 0 {
			limit = n
		}
		r.Body = http.MaxBytesReader(rec, r.Body, limit)
		identified := s.identify(rec, r)
		if identified == nil {
			return
		}
		r = identified
		if pattern == "" {
			s.noRoute(rec, r)
			return
		}
		if !s.serveCached(rec, r, pattern) {
			s.mux.ServeHTTP(rec, r)
		}
	})
}

// noRoute answers a request that no route matches: 405 when the path exists
// with another method, 404 otherwise, as JSON under /api/ and HTML elsewhere.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		s.fail(w, r, &statusError{http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed here; use %s", r.Method, strings.Join(allowed, " or "))})
		return
	}
	s.fail(w, r, pvczar.Errorf(pvczar.ENOTFOUND, "nothing here: %s", r.URL.Path))
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

// WriteString passes large pages on without copying them.
func (r *recorder) WriteString(s string) (int, error) {
	r.wrote = true
	n, err := io.WriteString(r.ResponseWriter, s)
	r.bytes += n
	return n, err
}

// handle registers a route.
func (s *Server) handle(method, path string, h http.HandlerFunc) {
	s.routes = append(s.routes, method+" "+path)
	s.mux.HandleFunc(method+" "+path, h)
}

// handleCommand registers a command route's handler with its body limit.
func (s *Server) handleCommand(rt commandRoute, method, path string, h http.HandlerFunc) {
	s.handle(method, path, h)
	if rt.MaxBody > 0 {
		s.bodyLimits[method+" "+path] = rt.MaxBody
	}
}

// Listen opens the TCP address a server will serve on, so that a caller
// can find a busy port before it loads anything.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, pvczar.Errorf(pvczar.EINVALID, "cannot listen on %s: %v", addr, err)
	}
	return ln, nil
}

// Serve serves on tcp (from Listen) until ctx ends, then shuts down
// gracefully: it stops accepting, lets requests in flight finish (up to
// 30 seconds) and stops the scheduler. ready is called with the base URL
// once the server listens.
func (s *Server) Serve(ctx context.Context, tcp net.Listener, ready func(url string)) error {
	ln := newLimitListener(tcp, s.opts.MaxConns, s.opts.MaxConnsPerAddr, func() { s.metrics.add("pvczar_connections_refused_total", 1) })
	var err error
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	schedCtx, stopSched := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.RunScheduler(schedCtx)
	}()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	if ready != nil {
		ready("http://" + ln.Addr().String())
	}
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.log.Info("shutting down: finishing requests in flight")
		shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = hs.Shutdown(shutCtx)
		cancel()
	}
	stopSched()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
