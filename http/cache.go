package http

import (
	"bytes"
	"html/template"
	"net/http"
	"sync"

	"github.com/xen-pvczar/pvczar"
)

// renderCache keeps the answers to reads for as long as the state they were
// rendered from is current: the store hands out one evaluation per instant
// (to the second) and log position, so a page is rendered at most once a
// second, or once per write, however many people look at it. API reads are
// the same for everyone signed in, and for every anonymous reader (who does
// not see e-mail addresses); a signed-in reader's pages show who is signed in
// and their forms, so for them only the shared part of a page is kept.
type renderCache struct {
	mu    sync.Mutex
	view  *pvczar.Registry // the evaluation the entries were rendered from
	pages map[string]*cachedResponse
}

// getContent returns the rendered part of a page kept for view.
func (c *renderCache) getContent(view *pvczar.Registry, key string) (template.HTML, bool) {
	if resp := c.get(view, key); resp != nil {
		return template.HTML(resp.body), true
	}
	return "", false
}

// putContent keeps the rendered part of a page for view.
func (c *renderCache) putContent(view *pvczar.Registry, key string, content template.HTML) {
	c.put(view, key, &cachedResponse{body: []byte(content)})
}

type cachedResponse struct {
	status int
	header http.Header
	body   []byte
}

// maxCachedPages bounds the entries kept for one evaluation.
const maxCachedPages = 5000

// cacheable lists the routes whose anonymous answers depend only on the
// evaluated state and the request's URL.
var cacheable = map[string]bool{
	"GET /{$}": true, "GET /protocols/{protocol}": true, "GET /proposals/{proposal}": true, "GET /queue": true,
	"GET /activity": true, "GET /activity.atom": true, "GET /digest": true, "GET /digest.txt": true,
	"GET /chart": true, "GET /chart.svg": true,
	"GET " + apiPrefix + "/status": true, "GET " + apiPrefix + "/digest": true, "GET " + apiPrefix + "/registry": true,
	"GET " + apiPrefix + "/events": true, "GET " + apiPrefix + "/users": true, "GET " + apiPrefix + "/protocols": true,
	"GET " + apiPrefix + "/protocols/{protocol}": true, "GET " + apiPrefix + "/proposals": true,
	"GET " + apiPrefix + "/proposals/{proposal}": true,
}

func (c *renderCache) get(view *pvczar.Registry, key string) *cachedResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.view != view {
		return nil
	}
	return c.pages[key]
}

func (c *renderCache) put(view *pvczar.Registry, key string, resp *cachedResponse) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.view != view {
		c.view, c.pages = view, map[string]*cachedResponse{}
	}
	if len(c.pages) < maxCachedPages {
		c.pages[key] = resp
	}
}

// serveCached answers a read from the cache, or renders it and
// keeps it when it succeeded. It reports false when the request is not one
// to cache (the caller then serves it as usual).
func (s *Server) serveCached(w http.ResponseWriter, r *http.Request, pattern string) bool {
	id := identityOf(r.Context())
	signedIn := id.user != "" || id.sessionProblem != ""
	if !cacheable[pattern] || (signedIn && !isAPI(r)) || r.URL.Query().Has("now") {
		return false
	}
	view, err := s.svc.Registry(r.Context(), s.now())
	if err != nil {
		return false // the handler meets the same error and reports it
	}
	key := r.URL.RequestURI()
	if id.user != "" {
		// API answers depend on who reads: e-mail addresses are shown to
		// those signed in only, an absence's reason to the Czar and the
		// absent person only.
		key = "user " + id.user + " " + key
	}
	resp := s.cache.get(view, key)
	if resp == nil {
		rec := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
		s.mux.ServeHTTP(rec, r)
		resp = &cachedResponse{status: rec.status, header: rec.header, body: rec.body.Bytes()}
		if resp.status == http.StatusOK {
			s.cache.put(view, key, resp)
		}
	}
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.status)
	w.Write(resp.body)
	return true
}

// bufferedResponse collects a response in memory.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) WriteHeader(status int)      { b.status = status }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }

func (b *bufferedResponse) WriteString(s string) (int, error) { return b.body.WriteString(s) }
