package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
)

const apiPrefix = "/api/v1"

func (s *Server) registerAPI() {
	s.handle("GET", "/healthz", s.healthz)
	s.handle("GET", "/metrics", s.serveMetrics)
	s.handle("GET", apiPrefix+"/openapi.json", s.serveOpenAPI)
	s.handle("GET", apiPrefix+"/status", s.apiStatus)
	s.handle("GET", apiPrefix+"/digest", s.apiDigest)
	s.handle("GET", apiPrefix+"/registry", s.apiRegistry)
	s.handle("GET", apiPrefix+"/rules", s.apiRules)
	s.handle("GET", apiPrefix+"/events", s.apiEvents)
	s.handle("GET", apiPrefix+"/users", s.apiUsers)
	s.handle("GET", apiPrefix+"/protocols", s.apiProtocols)
	s.handle("GET", apiPrefix+"/protocols/{protocol}", s.apiProtocol)
	s.handle("GET", apiPrefix+"/proposals", s.apiProposals)
	s.handle("GET", apiPrefix+"/proposals/{proposal}", s.apiProposal)
	s.handle("GET", apiPrefix+"/audit", s.apiAudit)
	s.handle("POST", apiPrefix+"/tick", s.apiTick)
	s.handle("POST", apiPrefix+"/tokens", s.apiCreateToken)
	s.handle("GET", apiPrefix+"/tokens", s.apiTokens)
	s.handle("DELETE", apiPrefix+"/tokens/{id}", s.apiRevokeToken)
	s.handle("PUT", apiPrefix+"/users/{user}/password", s.apiSetPassword)
	for _, rt := range commandRoutes {
		s.handleCommand(rt, rt.Method, apiPrefix+rt.Path, s.apiCommand(rt))
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.opts.Health(r.Context()); err != nil {
		s.log.Error("health check failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": pvczar.ErrorMessage(err)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// evalTime is the instant a read evaluates at: ?now= or the server's clock.
func (s *Server) evalTime(r *http.Request) (time.Time, error) {
	if v := r.URL.Query().Get("now"); v != "" {
		t, err := pvczar.ParseTime(v)
		if err != nil {
			return t, pvczar.Errorf(pvczar.EINVALID, "query parameter now: %s", pvczar.ErrorMessage(err))
		}
		return t, nil
	}
	return s.now(), nil
}

// protocolIn returns the state at the request's instant and the protocol
// its path names.
func (s *Server) protocolIn(r *http.Request) (*pvczar.Registry, time.Time, *pvczar.Protocol, error) {
	reg, now, err := s.registry(r)
	if err != nil {
		return nil, now, nil, err
	}
	p, err := reg.Protocol(r.PathValue("protocol"))
	return reg, now, p, err
}

// proposalIn returns the state at the request's instant and the proposal
// its path names, with its protocol.
func (s *Server) proposalIn(r *http.Request) (*pvczar.Registry, *pvczar.Protocol, *pvczar.Proposal, error) {
	reg, _, err := s.registry(r)
	if err != nil {
		return nil, nil, nil, err
	}
	p, pr, err := reg.Proposal(r.PathValue("proposal"))
	return reg, p, pr, err
}

// registry returns the state evaluated at the request's instant.
func (s *Server) registry(r *http.Request) (*pvczar.Registry, time.Time, error) {
	now, err := s.evalTime(r)
	if err != nil {
		return nil, now, err
	}
	reg, err := s.svc.Registry(r.Context(), now)
	return reg, now, err
}

func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) {
	reg, now, err := s.registry(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, reg.Status(now))
}

func (s *Server) apiDigest(w http.ResponseWriter, r *http.Request) {
	reg, now, err := s.registry(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"digest": reg.Digest(now)})
}

func (s *Server) apiRules(w http.ResponseWriter, r *http.Request) {
	cfg, err := s.svc.Config(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pvczar.Rules(cfg))
}

func (s *Server) apiRegistry(w http.ResponseWriter, r *http.Request) {
	reg, _, err := s.registry(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Each protocol's ETag, for If-Match on its commands (not part of the
	// state's JSON): "id=version, ...".
	var versions []string
	for _, p := range reg.SortedProtocols() {
		versions = append(versions, fmt.Sprintf("%s=%d", p.ID, p.LogVersion))
	}
	w.Header().Set(versionsHeader, strings.Join(versions, ", "))
	if v := viewerOf(r, reg); !v.czar {
		users := make(map[string]*pvczar.User, len(reg.Users))
		for name, u := range reg.Users {
			users[name] = v.user(u)
		}
		reg = &pvczar.Registry{Users: users, Protocols: reg.Protocols, Anomalies: reg.Anomalies}
	}
	writeJSON(w, http.StatusOK, reg)
}

// viewer is who reads: what of people they may see. People's mail
// addresses are shown to those signed in only, and the reason of an
// absence to the Czar and the absent person only.
type viewer struct {
	name string // "" when anonymous
	czar bool
}

func viewerOf(r *http.Request, reg *pvczar.Registry) viewer {
	v := viewer{name: userOf(r.Context())}
	if u := reg.Users[v.name]; u != nil {
		v.czar = u.Role == pvczar.RoleCzar
	}
	return v
}

// user returns u as v may see it: a copy when something is left out.
func (v viewer) user(u *pvczar.User) *pvczar.User {
	hideEmail := v.name == "" && u.Email != ""
	hideReasons := !v.czar && v.name != u.Name && len(u.Away) > 0
	if !hideEmail && !hideReasons {
		return u
	}
	seen := *u
	if hideEmail {
		seen.Email = ""
	}
	if hideReasons {
		seen.Away = slices.Clone(u.Away)
		for i := range seen.Away {
			seen.Away[i].Reason = ""
		}
	}
	return &seen
}

// event leaves out of e (a copy: the store's cache keeps its own) what v
// may not see: a sender's address, the addresses in a quoted line of
// mail, an absence's reason.
func (v viewer) event(e *pvczar.Event) {
	if v.name == "" {
		e.Data.Email = ""
		e.Data.Line = pvczar.WithoutAddresses(e.Data.Line)
	}
	if !v.czar && e.Actor != v.name && (e.Type == pvczar.EventUserAway || e.Type == pvczar.EventUserAwayCancelled) {
		e.Data.Reason = ""
	}
}

// versionsHeader carries the ETag of every protocol of GET /registry.
const versionsHeader = "Pvczar-Versions"

// page is one page of a list: the items and the cursor of the next page
// ("" on the last page).
type page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
	Total int    `json:"total"`
}

// limitParam reads ?limit= (default 50, at most maxPageSize).
func limitParam(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPageSize {
		return 0, pvczar.Errorf(pvczar.EINVALID, "query parameter limit: want a number from 1 to %d, got %q", maxPageSize, v)
	}
	return n, nil
}

// paginate returns the items after the cursor ?after= (the key of the last
// item of the previous page), at most ?limit= of them.
func paginate[T any](r *http.Request, items []T, key func(T) string) (page[T], error) {
	limit, err := limitParam(r)
	if err != nil {
		return page[T]{}, err
	}
	start := 0
	if after := r.URL.Query().Get("after"); after != "" {
		start = len(items)
		for i, it := range items {
			if key(it) == after {
				start = i + 1
				break
			}
		}
	}
	p := page[T]{Items: items[start:min(len(items), start+limit)], Total: len(items)}
	if p.Items == nil {
		p.Items = []T{}
	}
	if start+limit < len(items) {
		p.Next = key(p.Items[len(p.Items)-1])
	}
	return p, nil
}

func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := limitParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := pvczar.EventFilter{Proposal: q.Get("proposal"), Limit: limit + 1}
	if p := q.Get("protocol"); p != "" {
		f.Stream = pvczar.ProtocolStream(p)
	}
	for name, into := range map[string]*int64{"after": &f.AfterSeq, "before": &f.Before} {
		if v := q.Get(name); v != "" {
			if *into, err = strconv.ParseInt(v, 10, 64); err != nil || *into < 0 {
				s.fail(w, r, pvczar.Errorf(pvczar.EINVALID, "query parameter %s: want an event number, got %q", name, v))
				return
			}
		}
	}
	switch q.Get("order") {
	case "", "oldest":
	case "newest":
		f.Newest = true
	default:
		s.fail(w, r, pvczar.Errorf(pvczar.EINVALID, "query parameter order: want oldest or newest, got %q", q.Get("order")))
		return
	}
	events, err := s.svc.Events(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reg, _, err := s.registry(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := viewerOf(r, reg)
	for i := range events {
		v.event(&events[i])
	}
	out := page[pvczar.Event]{Items: events, Total: -1}
	if len(events) > limit {
		out.Items = events[:limit]
		out.Next = strconv.FormatInt(events[limit-1].Seq, 10)
	}
	if out.Items == nil {
		out.Items = []pvczar.Event{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request) {
	reg, _, err := s.registry(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	users := reg.SortedUsers()
	v := viewerOf(r, reg)
	for i, u := range users {
		users[i] = v.user(u)
	}
	p, err := paginate(r, users, func(u *pvczar.User) string { return u.Name })
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiProtocols(w http.ResponseWriter, r *http.Request) {
	reg, now, err := s.registry(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := paginate(r, reg.Status(now).Protocols, func(p pvczar.ProtocolStatus) string { return p.ID })
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// etag is the entity tag of a protocol's state: its stream's version.
func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// parseETag reads an If-Match header.
func parseETag(h string) (int, error) {
	v := strings.TrimPrefix(strings.TrimSpace(h), "W/")
	n, err := strconv.Atoi(strings.Trim(v, `"`))
	if err != nil || n < 1 || !strings.HasPrefix(v, `"`) || !strings.HasSuffix(v, `"`) {
		return 0, pvczar.Errorf(pvczar.EINVALID, "If-Match: want the ETag of a protocol or proposal you read, like \"12\", got %q", h)
	}
	return n, nil
}

func (s *Server) apiProtocol(w http.ResponseWriter, r *http.Request) {
	_, _, p, err := s.protocolIn(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(p.LogVersion))
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiProposals(w http.ResponseWriter, r *http.Request) {
	reg, _, err := s.registry(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := r.URL.Query().Get("status")
	if status != "" && !slices.Contains([]string{pvczar.ProposalOpen, pvczar.ProposalAccepted, pvczar.ProposalRejected, pvczar.ProposalWithdrawn}, status) {
		s.fail(w, r, pvczar.Errorf(pvczar.EINVALID, "query parameter status: want open, accepted, rejected or withdrawn, got %q", status))
		return
	}
	var all []*pvczar.Proposal
	for _, p := range reg.SortedProtocols() {
		for _, pr := range p.Proposals {
			if status == "" || pr.Status == status {
				all = append(all, pr)
			}
		}
	}
	p, err := paginate(r, all, func(pr *pvczar.Proposal) string { return pr.ID })
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiProposal(w http.ResponseWriter, r *http.Request) {
	_, p, pr, err := s.proposalIn(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(p.LogVersion))
	writeJSON(w, http.StatusOK, pr)
}

// requireCzar returns the identified user if it is the Czar.
func (s *Server) requireCzar(r *http.Request, what string) (string, error) {
	return s.requireRole(r, pvczar.RoleCzar, what)
}

// requireRole returns the identified user if their role is at least least
// (maintainers and the Czar, for RoleMaintainer).
func (s *Server) requireRole(r *http.Request, least pvczar.Role, what string) (string, error) {
	user, err := requireUser(r)
	if err != nil {
		return "", err
	}
	reg, err := s.svc.Registry(r.Context(), s.now())
	if err != nil {
		return "", err
	}
	if u := reg.Users[user]; u == nil || u.Role.Rank() < least.Rank() {
		if least == pvczar.RoleCzar {
			return "", pvczar.Errorf(pvczar.EFORBIDDEN, "only the Czar may %s", what)
		}
		return "", pvczar.Errorf(pvczar.EFORBIDDEN, "only %ss and the Czar may %s", least, what)
	}
	return user, nil
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) {
	if _, err := s.requireCzar(r, "run the audit (it replays the whole log)"); err != nil {
		s.fail(w, r, err)
		return
	}
	diffs, err := s.svc.Verify(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if diffs == nil {
		diffs = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"differences": diffs})
}

// tickRequest is the body of POST /tick.
type tickRequest struct {
	DryRun bool `json:"dry_run"`
	// Now asks a dry run what the clock would apply then; a tick that
	// writes runs at the server's time.
	Now *time.Time `json:"now,omitempty"`
}

func (s *Server) apiTick(w http.ResponseWriter, r *http.Request) {
	if _, err := requireUser(r); err != nil {
		s.fail(w, r, err)
		return
	}
	var req tickRequest
	if err := decodeJSON(r, &req, true); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.requireRole(r, pvczar.RoleMaintainer, "apply the clock (tick)"); err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.now()
	if req.Now != nil {
		if !req.DryRun {
			s.fail(w, r, pvczar.Errorf(pvczar.EINVALID, "field now: only a dry run may ask about another time; a tick that writes runs at the server's time"))
			return
		}
		now = *req.Now
	}
	events, err := s.svc.Tick(r.Context(), now, req.DryRun)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if events == nil {
		events = []pvczar.Event{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": events})
}

// tokenRequest is the body of POST /tokens.
type tokenRequest struct {
	User    string `json:"user"`
	Name    string `json:"name"`
	TTLDays int    `json:"ttl_days"`
}

// CreatedToken is the answer to a token creation: the secret, shown once.
type CreatedToken struct {
	Secret string       `json:"secret"`
	Token  pvczar.Token `json:"token"`
}

// authorizeCredentials checks that the caller may manage user's credentials.
func (s *Server) authorizeCredentials(r *http.Request, user string) (string, error) {
	actor, err := requireUser(r)
	if err != nil {
		return "", err
	}
	reg, err := s.svc.Registry(r.Context(), s.now())
	if err != nil {
		return "", err
	}
	if user == "" {
		user = actor
	}
	return user, reg.MayManageCredentials(actor, user)
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request) {
	if _, err := requireUser(r); err != nil {
		s.fail(w, r, err)
		return
	}
	var req tokenRequest
	if err := decodeJSON(r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	user, err := s.authorizeCredentials(r, req.User)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if req.TTLDays < 0 {
		s.fail(w, r, pvczar.Errorf(pvczar.EINVALID, "field ttl_days: want 0 (no expiry) or more"))
		return
	}
	secret, tok, err := s.creds.CreateToken(r.Context(), user, req.Name, s.now(), time.Duration(req.TTLDays)*pvczar.Day)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, CreatedToken{Secret: secret, Token: tok})
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	all := user == "*"
	if all {
		if _, err := s.requireCzar(r, "list everyone's tokens"); err != nil {
			s.fail(w, r, err)
			return
		}
		user = ""
	} else {
		var err error
		if user, err = s.authorizeCredentials(r, user); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	toks, err := s.creds.Tokens(r.Context(), user)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page[pvczar.Token]{Items: toks, Total: len(toks)})
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request) {
	actor, err := requireUser(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reg, err := s.svc.Registry(r.Context(), s.now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Only the tokens the caller may manage are looked at, so that an answer
	// never tells whether someone else's token id exists.
	whose := actor
	if u := reg.Users[actor]; u != nil && u.Role == pvczar.RoleCzar {
		whose = ""
	}
	if err := s.revokeToken(r, whose, r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// revokeToken revokes the token id of whose ("" for anyone's): a token of
// someone else is not found, so that no answer tells whether it exists.
func (s *Server) revokeToken(r *http.Request, whose, id string) error {
	toks, err := s.creds.Tokens(r.Context(), whose)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(toks, func(t pvczar.Token) bool { return t.ID == id }) {
		return pvczar.Errorf(pvczar.ENOTFOUND, "you have no token %q", id)
	}
	return s.creds.RevokeToken(r.Context(), id, s.now())
}

// passwordRequest is the body of PUT /users/{user}/password.
type passwordRequest struct {
	Password string `json:"password"`
}

func (s *Server) apiSetPassword(w http.ResponseWriter, r *http.Request) {
	if _, err := requireUser(r); err != nil {
		s.fail(w, r, err)
		return
	}
	var req passwordRequest
	if err := decodeJSON(r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	user, err := s.authorizeCredentials(r, r.PathValue("user"))
	if err == nil {
		err = s.creds.SetPassword(r.Context(), user, req.Password)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// decodeJSON reads a JSON body strictly into v: a JSON media type, one
// object, no unknown fields, right types. An empty body is allowed when
// emptyOK.
func decodeJSON(r *http.Request, v any, emptyOK bool) error {
	raw, err := readBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(raw)) == 0 && emptyOK {
		return nil
	}
	return strictUnmarshal(raw, v)
}

func readBody(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return nil, &statusError{http.StatusUnsupportedMediaType, fmt.Sprintf("the body must be application/json, not %q", ct)}
		}
	}
	return io.ReadAll(r.Body)
}

// strictUnmarshal decodes one JSON object into v and explains what is wrong
// in terms of the request's fields.
func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON object")
	}
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return err
	case errors.As(err, &syn):
		return pvczar.Errorf(pvczar.EINVALID, "the body is not valid JSON: %v (at byte %d)", syn, syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return pvczar.Errorf(pvczar.EINVALID, "the body must be a JSON object, not %s", typ.Value)
		}
		return pvczar.Errorf(pvczar.EINVALID, "field %s: want %s, got %s", typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.EOF):
		return pvczar.Errorf(pvczar.EINVALID, "the body is empty: want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return pvczar.Errorf(pvczar.EINVALID, "the body is not valid JSON: it ends too early")
	}
	return pvczar.Errorf(pvczar.EINVALID, "the body: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// computedFields are the results of checks that the server computes from
// the evidence's text (package verify) and never takes from a client.
var computedFields = map[string]string{
	"passed":        "pvczar runs the design-document check itself; send the document as doc_text",
	"text":          "a doc-check's summary is pvczar's; send the document as doc_text",
	"breaking":      "pvczar compares a spec with the production spec itself; send the spec as spec_text",
	"baseline":      "pvczar compares a spec with the production spec itself; send the spec as spec_text",
	"spec_version":  "pvczar reads the version from spec_text",
	"spec_features": "pvczar reads the features from spec_text",
	"handshake":     "pvczar verifies the handshake of spec_text itself",
}

// decodeCommand reads a command's body: only the route's fields are allowed.
func decodeCommand(rt commandRoute, raw []byte) (pvczar.EventData, error) {
	var d pvczar.EventData
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	var fields map[string]json.RawMessage
	if err := strictUnmarshal(raw, &fields); err != nil {
		return d, err
	}
	for name := range fields {
		if why, ok := computedFields[name]; ok && rt.Type == pvczar.EventEvidenceRecorded {
			return d, pvczar.Errorf(pvczar.EINVALID, "field %s is refused: %s", name, why)
		}
		if !slices.Contains(rt.Fields, name) {
			return d, pvczar.Errorf(pvczar.EINVALID, "unknown field %q: %s %s takes %s", name, rt.Method, apiPrefix+rt.Path, strings.Join(rt.Fields, ", "))
		}
	}
	err := strictUnmarshal(raw, &d)
	return d, err
}

// fillPath copies the route's path values into the command.
func fillPath(r *http.Request, rt commandRoute, d *pvczar.EventData) error {
	for _, name := range params(rt.Path) {
		v := r.PathValue(name)
		switch name {
		case "user":
			d.User = v
		case "protocol":
			d.Protocol = v
		case "proposal":
			d.Proposal = v
		case "objection":
			d.Objection = v
		case "issue":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return pvczar.Errorf(pvczar.EINVALID, "known issues are numbered from 1, not %q", v)
			}
			d.Issue = n
		}
	}
	return nil
}

func (s *Server) apiCommand(rt commandRoute) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e, err := s.runCommand(r, rt, pvczar.SourceAPI, func() (pvczar.EventData, error) {
			raw, err := readBody(r)
			if err != nil {
				return pvczar.EventData{}, err
			}
			return decodeCommand(rt, raw)
		})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("ETag", etag(e.Version))
		writeJSON(w, http.StatusCreated, e)
	}
}

// runCommand identifies the caller, reads the command's data, and acts.
func (s *Server) runCommand(r *http.Request, rt commandRoute, source string, read func() (pvczar.EventData, error)) (pvczar.Event, error) {
	user, err := requireUser(r)
	if err != nil {
		return pvczar.Event{}, err
	}
	d, err := read()
	if err != nil {
		return pvczar.Event{}, err
	}
	if err := fillPath(r, rt, &d); err != nil {
		return pvczar.Event{}, err
	}
	// No time: the store stamps the command under its write lock, so that
	// commands racing for one protocol are stamped in the order they land.
	cmd := pvczar.Event{Type: rt.Type, Actor: user, Source: source, Data: d}
	if h := r.Header.Get("If-Match"); h != "" {
		if cmd.Version, err = parseETag(h); err != nil {
			return pvczar.Event{}, err
		}
	}
	e, err := s.svc.Act(r.Context(), cmd)
	if err == nil {
		s.poke()
	}
	return e, err
}
