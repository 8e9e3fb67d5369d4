package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// The role matrix: every mutating route of the API (read from the served
// OpenAPI document, so that a new route cannot be left out) is called by
// every kind of caller, and the web form twin of every command route is
// posted by a representative few. The expectations come from the decide*
// functions of rules.go and from Registry.MayManageCredentials:
//
//   - anonymous is refused with 401 everywhere;
//   - a reader may only read (403), except for the clock and its own
//     credentials;
//   - the callers of a row's allowed list succeed (2xx; 303 for forms),
//     each in a fresh environment brought to the state the row needs;
//   - every other caller is refused with 403, and the refused requests of a
//     row, which share one environment, write nothing.

// matrixCallers are the callers of the matrix, "" being anonymous, from the
// least to the most powerful.
var matrixCallers = []string{"", "reader", "reviewer", "objector", "other", "author", "maint", "czar"}

// Groups of callers that the rules treat alike.
var (
	// matrixIdentified: anyone with a token, even a reader.
	matrixIdentified = []string{"reader", "reviewer", "objector", "other", "author", "maint", "czar"}
	// matrixParticipants: anyone identified above reader (Registry.actor).
	matrixParticipants = []string{"reviewer", "objector", "other", "author", "maint", "czar"}
	// matrixContributors: contributors and above (decideRegister).
	matrixContributors = []string{"other", "author", "maint", "czar"}
	// matrixOwnerOrCzar: testif's owner, who proposed testif-1, and the
	// Czar (requireOwnerOrCzar).
	matrixOwnerOrCzar = []string{"author", "czar"}
	matrixCzarOnly    = []string{"czar"}
	// matrixObjector: the author of the objection ring-size.
	matrixObjector = []string{"objector"}
)

// matrixCase is one row of the matrix: a request and who may make it.
type matrixCase struct {
	name   string // unique among the rows of a route
	method string
	path   string // as in the OpenAPI document, with {placeholders}
	// values fills placeholders beyond the defaults (matrixDefaults); the
	// value "$caller" is the caller's own name (reader for anonymous).
	values map[string]string
	body   string // the JSON body; the form twin posts its scalar fields
	// setup brings a fresh environment to the state the row needs; it may
	// return more path values (a token id).
	setup   func(t *testing.T, env *testEnv) map[string]string
	allowed []string
	ok      int // the status of success; 201 when 0
	// hidesOthers marks a route that answers an identified caller who may
	// not touch the item 404 rather than 403, so that it does not tell
	// whether someone else's item exists.
	hidesOthers bool
	// check verifies the effect of a success (optional).
	check func(t *testing.T, env *testEnv, caller string, values map[string]string, body string)
}

// matrixDefaults are the path values that name the env's state.
var matrixDefaults = map[string]string{
	"protocol":  "testif",
	"proposal":  "testif-1",
	"objection": "ring-size",
	"issue":     "1",
	"user":      "reviewer",
}

const matrixPassword = "matrix correct horse battery"

func matrixCases() []matrixCase {
	return []matrixCase{
		// Users (decideUser: the Czar manages users).
		{name: "add", method: "POST", path: "/api/v1/users", body: `{"user":"newcomer","role":"reviewer","display":"New Comer","email":"new@example.org"}`,
			allowed: matrixCzarOnly},
		{name: "change", method: "PUT", path: "/api/v1/users/{user}/role", values: map[string]string{"user": "reader"}, body: `{"role":"reviewer"}`,
			allowed: matrixCzarOnly},
		// A person may change their own address (decideUserEdit); a reader
		// only reads.
		{name: "edit own", method: "PATCH", path: "/api/v1/users/{user}", values: map[string]string{"user": "$caller"}, body: `{"email":"moved@example.org"}`,
			allowed: matrixParticipants},
		{name: "edit other", method: "PATCH", path: "/api/v1/users/{user}", values: map[string]string{"user": "reader"}, body: `{"display":"Renamed Reader"}`,
			allowed: matrixCzarOnly},

		// Absences (decideAway): anyone above reader declares or cancels
		// their own, before it starts.
		{name: "declare", method: "POST", path: "/api/v1/absences", body: `{"from":"2026-04-01","until":"2026-04-03","reason":"holidays"}`,
			allowed: matrixParticipants},
		{name: "cancel", method: "POST", path: "/api/v1/absences/cancel", body: `{"from":"2026-04-01"}`,
			setup: matrixAbsences, allowed: matrixParticipants},

		// Protocols.
		{name: "register", method: "POST", path: "/api/v1/protocols", body: `{"protocol":"newif","title":"A new interface"}`,
			allowed: matrixContributors},
		{name: "edit", method: "PATCH", path: "/api/v1/protocols/{protocol}", body: `{"title":"Test interface, renamed"}`,
			allowed: matrixOwnerOrCzar},
		{name: "withdraw", method: "POST", path: "/api/v1/protocols/{protocol}/withdraw", body: `{"reason":"superseded"}`,
			setup: matrixNoOpenProposal, allowed: matrixOwnerOrCzar},
		{name: "defer", method: "POST", path: "/api/v1/protocols/{protocol}/defer", body: `{"reason":"nobody works on it"}`,
			setup: matrixNoOpenProposal, allowed: matrixCzarOnly},
		{name: "resume", method: "POST", path: "/api/v1/protocols/{protocol}/resume", body: `{"reason":"work resumed"}`,
			setup: matrixDeferred, allowed: matrixCzarOnly},
		{name: "record", method: "PUT", path: "/api/v1/protocols/{protocol}/implementations", body: `{"implementation":{"side":"frontend","codebase":"linux","upstream_commit":"abc123"}}`,
			allowed: matrixOwnerOrCzar},
		{name: "record", method: "POST", path: "/api/v1/protocols/{protocol}/evidence", body: `{"evidence":"version","version":"1.0"}`,
			allowed: matrixOwnerOrCzar},
		// The server checks the document itself (TestEvidenceResultsAreTheServers).
		{name: "doc-check", method: "POST", path: "/api/v1/protocols/{protocol}/evidence", body: `{"evidence":"doc-check","path":"t.md","doc_text":"# T\n\nA ring.\n"}`,
			allowed: matrixOwnerOrCzar},
		// Maintainers may record known issues of any protocol.
		{name: "add", method: "POST", path: "/api/v1/protocols/{protocol}/known-issues", body: `{"text":"the ring may overflow"}`,
			allowed: []string{"author", "maint", "czar"}},
		{name: "accept", method: "POST", path: "/api/v1/protocols/{protocol}/known-issues/{issue}/accept", body: `{"reason":"harmless in practice"}`,
			setup: matrixKnownIssue, allowed: matrixCzarOnly},
		{name: "close", method: "POST", path: "/api/v1/protocols/{protocol}/known-issues/{issue}/close", body: `{"reason":"fixed"}`,
			setup: matrixKnownIssue, allowed: matrixOwnerOrCzar},
		{name: "waive", method: "POST", path: "/api/v1/protocols/{protocol}/waivers", body: `{"gate":"version","to":"production","reason":"the version is the header's"}`,
			allowed: matrixCzarOnly},
		{name: "open", method: "POST", path: "/api/v1/protocols/{protocol}/proposals", body: `{"to":"prototype","reason":"second try"}`,
			setup: matrixNoOpenProposal, allowed: matrixOwnerOrCzar},

		// Proposals.
		{name: "withdraw", method: "POST", path: "/api/v1/proposals/{proposal}/withdraw", body: `{"reason":"not ready"}`,
			allowed: matrixOwnerOrCzar},
		{name: "extend", method: "POST", path: "/api/v1/proposals/{proposal}/extend", body: `{"days":3,"reason":"holidays"}`,
			allowed: matrixCzarOnly},
		{name: "reject", method: "POST", path: "/api/v1/proposals/{proposal}/decision", body: `{"outcome":"rejected","reason":"not ready"}`,
			allowed: matrixCzarOnly},
		{name: "comment", method: "POST", path: "/api/v1/proposals/{proposal}/positions", body: `{"kind":"comment","text":"looks fine"}`,
			allowed: matrixParticipants},
		{name: "raise", method: "POST", path: "/api/v1/proposals/{proposal}/objections", body: `{"objection":"event-channel","about":"the event channel key","resolution":"name it","reason":"two drivers disagree"}`,
			allowed: matrixParticipants},
		// Anyone taking part may answer; only the proposer's side moves the
		// ball (applyToObjection; rules_test: a bystander's answer).
		{name: "answer", method: "POST", path: "/api/v1/proposals/{proposal}/objections/{objection}/answer", body: `{"text":"see section 3"}`,
			allowed: matrixParticipants},
		{name: "resolve", method: "POST", path: "/api/v1/proposals/{proposal}/objections/{objection}/resolve", body: `{"reason":"answered"}`,
			allowed: matrixObjector},
		{name: "withdraw", method: "POST", path: "/api/v1/proposals/{proposal}/objections/{objection}/withdraw", body: `{"reason":"I was wrong"}`,
			allowed: matrixObjector},
		{name: "revive", method: "POST", path: "/api/v1/proposals/{proposal}/objections/{objection}/revive", body: `{"reason":"back from holidays"}`,
			setup: matrixLapsed, allowed: matrixObjector},
		{name: "overrule", method: "POST", path: "/api/v1/proposals/{proposal}/objections/{objection}/overrule", body: `{"reason":"answered in v2"}`,
			allowed: matrixCzarOnly},
		// Only the proposer pokes, and only an objector who holds the ball.
		{name: "poke", method: "POST", path: "/api/v1/proposals/{proposal}/objections/{objection}/poke", body: `{"text":"see v2"}`,
			setup: matrixBallWithObjector, allowed: []string{"author"}},
		{name: "hold", method: "POST", path: "/api/v1/proposals/{proposal}/holds", body: `{"reason":"preparing an objection"}`,
			allowed: matrixParticipants},
		// reviewer's hold: reviewer releases it, the Czar may release anyone's.
		{name: "release", method: "POST", path: "/api/v1/proposals/{proposal}/holds/release", body: `{"holder":"reviewer"}`,
			setup: matrixReviewerHold, allowed: []string{"reviewer", "czar"}},

		// The clock: maintainers and the Czar may tick (the scheduler does).
		{name: "tick", method: "POST", path: "/api/v1/tick", body: `{}`, allowed: []string{"maint", "czar"}, ok: http.StatusOK},

		// Credentials (MayManageCredentials: yours, or anyone's for the Czar).
		{name: "for-reviewer", method: "POST", path: "/api/v1/tokens", body: `{"user":"reviewer","name":"matrix"}`,
			allowed: []string{"reviewer", "czar"}, check: matrixCheckToken("reviewer")},
		{name: "own", method: "POST", path: "/api/v1/tokens", body: `{"name":"matrix"}`,
			allowed: matrixIdentified, check: matrixCheckToken("")},
		{name: "reviewers", method: "DELETE", path: "/api/v1/tokens/{id}",
			setup: matrixReviewerToken, allowed: []string{"reviewer", "czar"}, ok: http.StatusNoContent, check: matrixCheckRevoked, hidesOthers: true},
		{name: "reviewers", method: "PUT", path: "/api/v1/users/{user}/password", body: `{"password":"` + matrixPassword + `"}`,
			allowed: []string{"reviewer", "czar"}, ok: http.StatusNoContent, check: matrixCheckPassword},
		{name: "own", method: "PUT", path: "/api/v1/users/{user}/password", values: map[string]string{"user": "$caller"}, body: `{"password":"` + matrixPassword + `"}`,
			allowed: matrixIdentified, ok: http.StatusNoContent}, // the row above checks the effect; the KDF is slow
	}
}

// matrixKey names a route as "METHOD /path".
func matrixKey(method, path string) string { return strings.ToUpper(method) + " " + path }

func (c matrixCase) key() string { return matrixKey(c.method, c.path) }

func (c matrixCase) okStatus() int {
	if c.ok == 0 {
		return http.StatusCreated
	}
	return c.ok
}

// pathFor fills the placeholders of the row's path for caller.
func (c matrixCase) pathFor(t *testing.T, caller string, extra map[string]string) (string, map[string]string) {
	t.Helper()
	values := map[string]string{}
	for k, v := range matrixDefaults {
		values[k] = v
	}
	for k, v := range c.values {
		values[k] = v
	}
	for k, v := range extra {
		values[k] = v
	}
	for k, v := range values {
		if v == "$caller" {
			values[k] = matrixOr(caller, "reader")
		}
	}
	path := c.path
	for _, p := range openapiPlaceholders(c.path) {
		v, ok := values[p]
		if !ok {
			t.Fatalf("%s: no value for {%s}", c.key(), p)
		}
		path = strings.ReplaceAll(path, "{"+p+"}", url.PathEscape(v))
	}
	return path, values
}

// matrixOr returns s, or def when s is empty.
func matrixOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Setups.

func matrixNoOpenProposal(t *testing.T, env *testEnv) map[string]string {
	matrixMust(t, env, "POST", "/api/v1/proposals/testif-1/withdraw", "author", `{"reason":"setting up"}`, http.StatusCreated)
	return nil
}

func matrixDeferred(t *testing.T, env *testEnv) map[string]string {
	matrixNoOpenProposal(t, env)
	matrixMust(t, env, "POST", "/api/v1/protocols/testif/defer", "czar", `{"reason":"setting up"}`, http.StatusCreated)
	return nil
}

func matrixKnownIssue(t *testing.T, env *testEnv) map[string]string {
	matrixMust(t, env, "POST", "/api/v1/protocols/testif/known-issues", "author", `{"text":"setting up"}`, http.StatusCreated)
	return nil
}

// matrixLapsed has the proposer answer ring-size, which puts the ball in
// the objector's court, and lets the objector stay silent past the lapse.
func matrixLapsed(t *testing.T, env *testEnv) map[string]string {
	matrixMust(t, env, "POST", "/api/v1/proposals/testif-1/objections/ring-size/answer", "author", `{"text":"setting up"}`, http.StatusCreated)
	env.advance(time.Duration(pvczar.DefaultConfig().LapseDays+1) * pvczar.Day)
	matrixMust(t, env, "POST", "/api/v1/tick", "czar", `{}`, http.StatusOK)
	_, body := matrixDo(t, env, "GET", "/api/v1/proposals/testif-1", "", "")
	if !strings.Contains(body, `"status": "lapsed"`) {
		t.Fatalf("setting up: ring-size has not lapsed: %s", body)
	}
	return nil
}

// matrixAbsences has every participant declare an absence from
// 2026-04-01 to 2026-04-03, which each may then cancel.
func matrixAbsences(t *testing.T, env *testEnv) map[string]string {
	for _, u := range matrixParticipants {
		matrixMust(t, env, "POST", "/api/v1/absences", u, `{"from":"2026-04-01","until":"2026-04-03"}`, http.StatusCreated)
	}
	return nil
}

// matrixBallWithObjector answers ring-size as the proposer: the ball is
// then the objector's.
func matrixBallWithObjector(t *testing.T, env *testEnv) map[string]string {
	matrixMust(t, env, "POST", "/api/v1/proposals/testif-1/objections/ring-size/answer", "author", `{"text":"setting up"}`, http.StatusCreated)
	return nil
}

func matrixReviewerHold(t *testing.T, env *testEnv) map[string]string {
	matrixMust(t, env, "POST", "/api/v1/proposals/testif-1/holds", "reviewer", `{"reason":"setting up"}`, http.StatusCreated)
	return nil
}

// matrixReviewerToken gives reviewer a second token, to be revoked.
func matrixReviewerToken(t *testing.T, env *testEnv) map[string]string {
	_, tok, err := env.store.CreateToken(context.Background(), "reviewer", "matrix-victim", env.clock(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"id": tok.ID}
}

// Checks of successes.

func matrixCheckToken(user string) func(*testing.T, *testEnv, string, map[string]string, string) {
	return func(t *testing.T, env *testEnv, caller string, _ map[string]string, body string) {
		var got struct {
			Secret string       `json:"secret"`
			Token  pvczar.Token `json:"token"`
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("token answer %s: %v", body, err)
		}
		want := matrixOr(user, caller)
		if got.Secret == "" || got.Token.User != want {
			t.Errorf("created token %s: want a secret and user %s", body, want)
		}
	}
}

func matrixCheckRevoked(t *testing.T, env *testEnv, _ string, values map[string]string, _ string) {
	toks, err := env.store.Tokens(context.Background(), "reviewer")
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		if tok.ID == values["id"] && tok.Revoked == nil {
			t.Errorf("token %s was not revoked", tok.ID)
		}
	}
}

func matrixCheckPassword(t *testing.T, env *testEnv, _ string, values map[string]string, _ string) {
	if err := env.store.CheckPassword(context.Background(), values["user"], matrixPassword); err != nil {
		t.Errorf("the password of %s was not set: %v", values["user"], err)
	}
}

// HTTP helpers.

// matrixClient does not follow redirects, so that a form's 303 shows.
var matrixClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// matrixDo sends an API request as user ("" for anonymous).
func matrixDo(t *testing.T, env *testEnv, method, path, user, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, env.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+env.tokens[user])
	}
	resp, err := matrixClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func matrixMust(t *testing.T, env *testEnv, method, path, user, body string, want int) string {
	t.Helper()
	status, got := matrixDo(t, env, method, path, user, body)
	if status != want {
		t.Fatalf("setting up: %s %s as %s: %d, want %d: %s", method, path, user, status, want, got)
	}
	return got
}

// matrixEvents returns the logged events, oldest first.
func matrixEvents(t *testing.T, env *testEnv) []pvczar.Event {
	t.Helper()
	status, body := matrixDo(t, env, "GET", "/api/v1/events?limit=500", "", "")
	var p struct {
		Items []pvczar.Event `json:"items"`
		Next  string         `json:"next"`
	}
	if err := json.Unmarshal([]byte(body), &p); status != http.StatusOK || err != nil || p.Next != "" {
		t.Fatalf("GET /api/v1/events: %d %v: %.300s", status, err, body)
	}
	return p.Items
}

// matrixCredentials sums up the tokens (id and whether revoked) and whether
// anyone's password is the matrix's, to see that a refused request changed
// none of it.
func matrixCredentials(t *testing.T, env *testEnv, passwordOf []string) string {
	t.Helper()
	ctx := context.Background()
	toks, err := env.store.Tokens(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, tok := range toks {
		parts = append(parts, tok.User+"/"+tok.ID+"/revoked="+strconv.FormatBool(tok.Revoked != nil))
	}
	for _, u := range passwordOf {
		parts = append(parts, u+"/password="+strconv.FormatBool(env.store.CheckPassword(ctx, u, matrixPassword) == nil))
	}
	sort.Strings(parts)
	return strings.Join(parts, "\n")
}

// matrixErrorCode reads the code of a JSON error.
func matrixErrorCode(body string) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	json.Unmarshal([]byte(body), &e)
	return e.Error.Code
}

// Web sessions.

type matrixSession struct {
	cookie string // the pvczar_session cookie's value
	csrf   string // the session's CSRF token, from a page's hidden input
}

var matrixCSRFInput = regexp.MustCompile(`<input type="hidden" name="csrf" value="([^"]+)">`)

func matrixGetPage(t *testing.T, env *testEnv, path string, cookies ...*http.Cookie) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", env.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := matrixClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// matrixSignIn signs user in with their token, as a browser does: the
// sign-in page sets pvczar_signin and carries the same value in its form.
func matrixSignIn(t *testing.T, env *testEnv, user string) matrixSession {
	t.Helper()
	resp, page := matrixGetPage(t, env, "/signin")
	m := matrixCSRFInput.FindStringSubmatch(page)
	var signinCookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "pvczar_signin" {
			signinCookie = c
		}
	}
	if resp.StatusCode != http.StatusOK || m == nil || signinCookie == nil || signinCookie.Value != m[1] {
		t.Fatalf("GET /signin: %d, cookie %v, form csrf %v", resp.StatusCode, signinCookie, m)
	}
	form := url.Values{"csrf": {m[1]}, "token": {env.tokens[user]}}
	req, _ := http.NewRequest("POST", env.URL+"/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "pvczar_signin", Value: m[1]})
	resp, err := matrixClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var sess matrixSession
	for _, c := range resp.Cookies() {
		if c.Name == "pvczar_session" {
			sess.cookie = c.Value
		}
	}
	if resp.StatusCode != http.StatusSeeOther || sess.cookie == "" {
		t.Fatalf("POST /signin as %s: %d, session cookie %q", user, resp.StatusCode, sess.cookie)
	}
	resp, page = matrixGetPage(t, env, "/proposals/testif-1", &http.Cookie{Name: "pvczar_session", Value: sess.cookie})
	m = matrixCSRFInput.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("GET /proposals/testif-1 signed in as %s: %d, no csrf input", user, resp.StatusCode)
	}
	sess.csrf = m[1]
	return sess
}

// matrixPostForm posts a form to a /ui route, with the session's cookie
// (none for a zero session), and returns the status and Location.
func matrixPostForm(t *testing.T, env *testEnv, path string, sess matrixSession, form url.Values) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest("POST", env.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sess.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "pvczar_session", Value: sess.cookie})
	}
	resp, err := matrixClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// matrixForm turns a JSON body into the fields of its form twin: scalars as
// text, lists joined with commas; objects have no form field.
func matrixForm(t *testing.T, body string) url.Values {
	t.Helper()
	form := url.Values{}
	if body == "" {
		return form
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(body), &fields); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	for k, v := range fields {
		switch v := v.(type) {
		case string:
			form.Set(k, v)
		case float64:
			form.Set(k, strconv.FormatFloat(v, 'f', -1, 64))
		case bool:
			form.Set(k, strconv.FormatBool(v))
		case []any:
			var s []string
			for _, x := range v {
				s = append(s, x.(string))
			}
			form.Set(k, strings.Join(s, ","))
		case map[string]any: // an implementation: its form's fields
			for f, x := range v {
				if f == "codebase" {
					f = "code_base"
				}
				form.Set(f, x.(string))
			}
		}
	}
	return form
}

func matrixWithCSRF(form url.Values, csrf string) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}
	out.Set("csrf", csrf)
	return out
}

// matrixOperation is what the matrix reads of an operation of the OpenAPI
// document.
type matrixOperation struct {
	OperationID string                     `json:"operationId"`
	Responses   map[string]json.RawMessage `json:"responses"`
}

// eventType is the event a command operation writes: its operationId, an
// event type ("protocol.registered"); other operations' ids have no dot.
func (o matrixOperation) eventType() string {
	if strings.Contains(o.OperationID, ".") {
		return o.OperationID
	}
	return ""
}

// matrixMutations reads the served OpenAPI document and returns its
// operations other than GET, by "METHOD /path".
func matrixMutations(t *testing.T, env *testEnv) map[string]matrixOperation {
	t.Helper()
	status, body := matrixDo(t, env, "GET", "/api/v1/openapi.json", "", "")
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); status != http.StatusOK || err != nil || len(doc.Paths) == 0 {
		t.Fatalf("GET /api/v1/openapi.json: %d %v", status, err)
	}
	ops := map[string]matrixOperation{}
	for path, methods := range doc.Paths {
		for method, raw := range methods {
			if !slices.Contains([]string{"post", "put", "patch", "delete"}, method) {
				continue
			}
			var op matrixOperation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			ops[matrixKey(method, path)] = op
		}
	}
	return ops
}

// matrixRows checks that the table and the document cover each other, and
// returns the rows with their operations.
func matrixRows(t *testing.T) ([]matrixCase, map[string]matrixOperation) {
	t.Helper()
	ops := matrixMutations(t, newTestEnv(t))
	cases := matrixCases()
	covered := map[string]bool{}
	seen := map[string]bool{}
	for _, c := range cases {
		covered[c.key()] = true
		if seen[c.key()+" "+c.name] {
			t.Errorf("two rows named %q for %s", c.name, c.key())
		}
		seen[c.key()+" "+c.name] = true
		if _, ok := ops[c.key()]; !ok {
			t.Errorf("the matrix has a row for %s, which the OpenAPI document does not list", c.key())
		}
		for _, a := range c.allowed {
			if !slices.Contains(matrixIdentified, a) {
				t.Errorf("%s: unknown caller %q", c.key(), a)
			}
		}
	}
	for _, k := range []string{"POST /api/v1/tick", "POST /api/v1/tokens", "DELETE /api/v1/tokens/{id}", "PUT /api/v1/users/{user}/password"} {
		if !covered[k] {
			t.Errorf("the matrix has no row for %s", k)
		}
	}
	var missing []string
	for k := range ops {
		if !covered[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	for _, k := range missing {
		t.Errorf("mutating route %s has no row in the role matrix (matrixCases): say who may call it", k)
	}
	return cases, ops
}

// matrixRefusedStatus is what a caller outside the allowed list gets.
func matrixRefusedStatus(caller string) int {
	if caller == "" {
		return http.StatusUnauthorized
	}
	return http.StatusForbidden
}

func TestMatrixAPI(t *testing.T) {
	cases, ops := matrixRows(t)
	for _, c := range cases {
		op := ops[c.key()]
		t.Run(c.key()+" "+c.name, func(t *testing.T) {
			t.Parallel()
			t.Run("refused", func(t *testing.T) {
				t.Parallel()
				env, extra := matrixEnv(t, c)
				passwords := []string{}
				if strings.HasSuffix(c.path, "/password") {
					_, values := c.pathFor(t, "", extra)
					passwords = append(passwords, values["user"])
				}
				before, creds := len(matrixEvents(t, env)), matrixCredentials(t, env, passwords)
				for _, caller := range matrixCallers {
					if slices.Contains(c.allowed, caller) {
						continue
					}
					path, _ := c.pathFor(t, caller, extra)
					status, body := matrixDo(t, env, c.method, path, caller, c.body)
					want := matrixRefusedStatus(caller)
					if c.hidesOthers && caller != "" {
						want = http.StatusNotFound
					}
					wantCode := map[int]string{401: pvczar.EUNAUTHORIZED, 403: pvczar.EFORBIDDEN, 404: pvczar.ENOTFOUND}[want]
					if status != want || matrixErrorCode(body) != wantCode {
						t.Errorf("%s %s as %q: %d, want %d %s: %.300s", c.method, path, caller, status, want, wantCode, body)
					}
				}
				if after := len(matrixEvents(t, env)); after != before {
					t.Errorf("refused requests wrote %d events", after-before)
				}
				if got := matrixCredentials(t, env, passwords); got != creds {
					t.Errorf("refused requests changed credentials:\nbefore:\n%s\nafter:\n%s", creds, got)
				}
			})
			for _, caller := range c.allowed {
				t.Run("as "+caller, func(t *testing.T) {
					t.Parallel()
					env := newTestEnv(t)
					var extra map[string]string
					if c.setup != nil {
						extra = c.setup(t, env)
					}
					path, values := c.pathFor(t, caller, extra)
					before := len(matrixEvents(t, env))
					status, body := matrixDo(t, env, c.method, path, caller, c.body)
					if status != c.okStatus() {
						t.Fatalf("%s %s as %s: %d, want %d: %.400s", c.method, path, caller, status, c.okStatus(), body)
					}
					if op.eventType() != "" {
						e := matrixCheckEvent(t, env, before, caller, pvczar.SourceAPI)
						if string(e.Type) != op.OperationID || !strings.Contains(body, `"type": "`+op.OperationID+`"`) {
							t.Errorf("%s %s wrote %s, want %s: %.300s", c.method, path, e.Type, op.OperationID, body)
						}
					}
					if c.check != nil {
						c.check(t, env, caller, values, body)
					}
				})
			}
		})
	}
}

// matrixCheckEvent checks that a command wrote one event, by caller, from
// source.
func matrixCheckEvent(t *testing.T, env *testEnv, before int, caller, source string) pvczar.Event {
	t.Helper()
	events := matrixEvents(t, env)
	if len(events) != before+1 {
		t.Fatalf("%d events written, want 1", len(events)-before)
	}
	e := events[len(events)-1]
	if e.Actor != caller || e.Source != source {
		t.Errorf("event %s by %s from %s, want by %s from %s", e.Type, e.Actor, e.Source, caller, source)
	}
	return e
}

func TestMatrixForms(t *testing.T) {
	cases, ops := matrixRows(t)
	noForms := newTestEnv(t)
	forms := map[string]bool{}
	for _, c := range cases {
		op := ops[c.key()]
		if op.eventType() == "" {
			// Not a command: no form twin, so no cookie can reach it.
			path, _ := c.pathFor(t, "reviewer", map[string]string{"id": "some-id"})
			path = "/ui" + strings.TrimPrefix(path, "/api/v1")
			if status, _, _ := matrixPostForm(t, noForms, path, matrixSession{}, url.Values{}); status != http.StatusNotFound {
				t.Errorf("POST %s: %d, want 404 (%s has no form twin)", path, status, c.key())
			}
			continue
		}
		if forms[c.key()] {
			continue
		}
		forms[c.key()] = true
		apiPath := func(t *testing.T, caller string, extra map[string]string) string {
			path, _ := c.pathFor(t, caller, extra)
			return path
		}
		formPath := func(t *testing.T, caller string, extra map[string]string) string {
			return "/ui" + strings.TrimPrefix(apiPath(t, caller, extra), "/api/v1")
		}
		form := matrixForm(t, c.body)
		// The representative callers: the least powerful allowed one, and
		// the most powerful refused one that is not a reader.
		allowed := c.allowed[0]
		var refused string
		for _, caller := range matrixParticipants {
			if !slices.Contains(c.allowed, caller) {
				refused = caller
			}
		}
		t.Run("POST /ui"+strings.TrimPrefix(c.path, "/api/v1"), func(t *testing.T) {
			t.Parallel()
			t.Run("refused", func(t *testing.T) {
				t.Parallel()
				env, extra := matrixEnv(t, c)
				sessions := map[string]matrixSession{"": {}}
				for _, u := range []string{"reader", allowed, refused} {
					if u != "" {
						sessions[u] = matrixSignIn(t, env, u)
					}
				}
				before := len(matrixEvents(t, env))
				try := func(what, caller string, f url.Values, want int) {
					t.Helper()
					path := formPath(t, caller, extra)
					status, _, body := matrixPostForm(t, env, path, sessions[caller], f)
					if status != want {
						t.Errorf("POST %s %s: %d, want %d: %.300s", path, what, status, want, matrixPageMessage(body))
					}
				}
				try("anonymous", "", form, http.StatusUnauthorized)
				try("anonymous with a CSRF field", "", matrixWithCSRF(form, sessions[allowed].csrf), http.StatusUnauthorized)
				try("as "+allowed+" without csrf", allowed, form, http.StatusForbidden)
				try("as "+allowed+" with a wrong csrf", allowed, matrixWithCSRF(form, "x"+sessions[allowed].csrf), http.StatusForbidden)
				try("as "+allowed+" with reader's csrf", allowed, matrixWithCSRF(form, sessions["reader"].csrf), http.StatusForbidden)
				try("as reader", "reader", matrixWithCSRF(form, sessions["reader"].csrf), http.StatusForbidden)
				if refused != "" {
					try("as "+refused, refused, matrixWithCSRF(form, sessions[refused].csrf), http.StatusForbidden)
				}
				// The API ignores session cookies: a cross-site form cannot use it.
				req, _ := http.NewRequest(c.method, env.URL+apiPath(t, allowed, extra), strings.NewReader(c.body))
				req.Header.Set("Content-Type", "application/json")
				req.AddCookie(&http.Cookie{Name: "pvczar_session", Value: sessions[allowed].cookie})
				if resp, err := matrixClient.Do(req); err != nil {
					t.Error(err)
				} else {
					resp.Body.Close()
					if resp.StatusCode != http.StatusUnauthorized {
						t.Errorf("%s %s with %s's session cookie and no token: %d, want 401", c.method, req.URL.Path, allowed, resp.StatusCode)
					}
				}
				if after := len(matrixEvents(t, env)); after != before {
					t.Errorf("refused forms wrote %d events", after-before)
				}
			})
			t.Run("as "+allowed, func(t *testing.T) {
				t.Parallel()
				env, extra := matrixEnv(t, c)
				sess := matrixSignIn(t, env, allowed)
				before := len(matrixEvents(t, env))
				path := formPath(t, allowed, extra)
				status, location, body := matrixPostForm(t, env, path, sess, matrixWithCSRF(form, sess.csrf))
				if status != http.StatusSeeOther {
					t.Fatalf("POST %s as %s: %d, want %d: %.300s", path, allowed, status, http.StatusSeeOther, matrixPageMessage(body))
				}
				if status != http.StatusSeeOther {
					return
				}
				if !strings.HasPrefix(location, "/") || !strings.Contains(location, "?done=") {
					t.Errorf("POST %s redirects to %q, want a page of this site with ?done=", path, location)
				}
				e := matrixCheckEvent(t, env, before, allowed, pvczar.SourceWeb)
				if string(e.Type) != op.OperationID {
					t.Errorf("POST %s wrote %s, want %s", path, e.Type, op.OperationID)
				}
			})
		})
	}
}

var matrixMessage = regexp.MustCompile(`(?s)<main.*?</main>`)

// matrixPageMessage shortens an HTML page to its main part, for messages.
func matrixPageMessage(page string) string {
	if m := matrixMessage.FindString(page); m != "" {
		return strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m, " ")), " ")
	}
	return page
}

// matrixEnv starts a fresh environment in the state the row needs.
func matrixEnv(t *testing.T, c matrixCase) (*testEnv, map[string]string) {
	t.Helper()
	env := newTestEnv(t)
	var extra map[string]string
	if c.setup != nil {
		extra = c.setup(t, env)
	}
	return env, extra
}
