package http_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	pvhttp "github.com/xen-pvczar/pvczar/http"
)

// passwordSignIn signs user in with a password through the form and
// returns a client holding the session cookie.
func passwordSignIn(t *testing.T, env *testEnv, user, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	csrf := hiddenCSRF(t, get(t, c, env.URL+"/signin"))
	resp, err := c.PostForm(env.URL+"/signin", url.Values{"csrf": {csrf}, "user": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s with a password: %d", user, resp.StatusCode)
	}
	return c
}

// TestRevokingATokenEndsItsSessions: a browser signed in with a token is
// signed out when the token is revoked; one signed in with a password is
// not.
func TestRevokingATokenEndsItsSessions(t *testing.T) {
	env := newTestEnv(t)
	withToken, _ := signIn(t, env, "maint")
	if err := env.store.SetPassword(context.Background(), "maint", matrixPassword); err != nil {
		t.Fatal(err)
	}
	withPassword := passwordSignIn(t, env, "maint", matrixPassword)
	for _, c := range []struct {
		name string
		page string
	}{{"token", get(t, withToken, env.URL+"/queue")}, {"password", get(t, withPassword, env.URL+"/queue")}} {
		if !strings.Contains(c.page, "<bdi>maint</bdi>") {
			t.Fatalf("signed in with a %s: the page does not say so", c.name)
		}
	}
	toks, err := env.store.Tokens(context.Background(), "maint")
	if err != nil || len(toks) != 1 {
		t.Fatalf("maint's tokens: %v, %v", toks, err)
	}
	matrixMust(t, env, "DELETE", "/api/v1/tokens/"+toks[0].ID, "czar", "", 204)
	if page := get(t, withToken, env.URL+"/queue"); strings.Contains(page, "<bdi>maint</bdi>") || !strings.Contains(page, "not signed in") {
		t.Errorf("the session of a revoked token still signs its browser in:\n%.2000s", page)
	}
	if page := get(t, withPassword, env.URL+"/queue"); !strings.Contains(page, "<bdi>maint</bdi>") {
		t.Error("revoking a token ended a session signed in with a password")
	}
}

// TestEmailsForSignedInReadersOnly: anonymous readers of the API see no
// one's e-mail address, in the users, the registry or the log; a reader
// with a token sees them, and the cache keeps the two answers apart.
func TestEmailsForSignedInReadersOnly(t *testing.T) {
	env := newTestEnv(t)
	matrixMust(t, env, "PATCH", "/api/v1/users/author", "czar", `{"email":"author@example.org"}`, 201)
	for _, path := range []string{"/api/v1/users", "/api/v1/registry", "/api/v1/events?limit=500"} {
		for round := range 2 { // the second round is answered from the cache
			if _, body := env.request("GET", path, "", ""); strings.Contains(body, "author@example.org") {
				t.Errorf("round %d: GET %s shows an e-mail address to an anonymous reader", round, path)
			}
			if _, body := env.request("GET", path, "reader", ""); !strings.Contains(body, "author@example.org") {
				t.Errorf("round %d: GET %s hides the e-mail address from a reader with a token", round, path)
			}
		}
	}
}

// TestMetricsTokenAndStaticFiles: with a metrics token, /metrics answers
// 401 without it and the metrics with it; /static serves files, never a
// listing of a folder.
func TestMetricsTokenAndStaticFiles(t *testing.T) {
	env := newTestEnv(t)
	srv := pvhttp.New(env.store, env.store, pvhttp.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MetricsToken: "s3cret-metrics"})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	for _, c := range []struct {
		auth string
		want int
	}{{"", 401}, {"Bearer wrong", 401}, {"Bearer s3cret-metrics", 200}} {
		req, _ := http.NewRequest("GET", ts.URL+"/metrics", nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want || (c.want == 200) != strings.Contains(string(body), "pvczar_http_requests_total") {
			t.Errorf("/metrics with %q: %d: %.200s", c.auth, resp.StatusCode, body)
		}
	}
	for path, want := range map[string]int{"/static/style.css": 200, "/static/": 404, "/static": 404, "/static/nope.css": 404, "/static/../templates/": 404} {
		if status, body := env.request("GET", path, "", ""); status != want || strings.Contains(body, `<a href="style.css">`) {
			t.Errorf("GET %s: %d, want %d: %.200s", path, status, want, body)
		}
	}
}

// TestConnectionLimits: a client holding idle connections gets no more
// than its share; the connections beyond it are closed at once, and once
// it lets go, others are served again.
func TestConnectionLimits(t *testing.T) {
	env := newTestEnv(t)
	srv := pvhttp.New(env.store, env.store, pvhttp.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxConns: 8, MaxConnsPerAddr: 4})
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	ln, err := pvhttp.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		done <- srv.Serve(ctx, ln, func(u string) { addr <- strings.TrimPrefix(u, "http://") })
	}()
	defer func() {
		cancel()
		<-done
	}()
	a := <-addr
	var held []net.Conn
	for range 4 {
		c, err := net.Dial("tcp", a)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	for i := range 20 {
		c, err := net.Dial("tcp", a)
		if err != nil {
			continue // refused outright also keeps the server's descriptors
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("connection %d beyond the limit was kept open: %d, %v", i+5, n, err)
		}
		c.Close()
	}
	if resp, err := http.Get("http://" + a + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatal("a request beyond the per-address limit was served")
	}
	for _, c := range held {
		c.Close()
	}
	var resp *http.Response
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err = http.Get("http://" + a + "/healthz"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("after the idle connections closed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("after the idle connections closed: %d", resp.StatusCode)
	}
}

// TestProposalPageSaysWhichAcksDoNotCount: the proposal page lists the
// acks that stand but do not count for the quorum, and why.
func TestProposalPageSaysWhichAcksDoNotCount(t *testing.T) {
	env := newTestEnv(t)
	matrixMust(t, env, "POST", "/api/v1/proposals/testif-1/positions", "author", `{"kind":"ack"}`, 201)
	matrixMust(t, env, "POST", "/api/v1/proposals/testif-1/positions", "reviewer", `{"kind":"ack"}`, 201)
	_, page := env.request("GET", "/proposals/testif-1", "", "")
	for _, want := range []string{
		"The ack of <bdi>author</bdi> does not count: the proposer&#39;s own ack does not count.",
		"The ack of <bdi>reviewer</bdi> does not count: only maintainers&#39; and the Czar&#39;s acks count, and reviewer acked as a reviewer.",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the proposal page lacks %q", want)
		}
	}
}

// TestJustifyAnObjectionOnTheWeb: a bare objection says it does not block
// until justified, and its author justifies it from the proposal page.
func TestJustifyAnObjectionOnTheWeb(t *testing.T) {
	env := newTestEnv(t)
	matrixMust(t, env, "POST", "/api/v1/proposals/testif-1/objections", "reviewer", `{"objection":"vague"}`, 201)
	if _, page := env.request("GET", "/proposals/testif-1", "", ""); !strings.Contains(page, "does not block until justified") {
		t.Fatal("the page does not say that a bare objection does not block")
	}
	c, csrf := signIn(t, env, "reviewer")
	if page := get(t, c, env.URL+"/proposals/testif-1"); !strings.Contains(page, `Justify: make it block`) {
		t.Fatal("the objector has no form to justify the objection")
	}
	resp, err := c.PostForm(env.URL+"/ui/proposals/testif-1/objections", url.Values{"csrf": {csrf}, "objection": {"vague"},
		"about": {"the ring-page-order key"}, "resolution": {"state the maximum order"}, "reason": {"frontends cannot size rings"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("justifying: %d", resp.StatusCode)
	}
	_, body := env.request("GET", "/api/v1/proposals/testif-1", "", "")
	if !strings.Contains(body, `"name": "vague"`) || strings.Count(body, `"blocking": true`) != 2 {
		t.Errorf("after justifying, the objection does not block:\n%.3000s", body)
	}
}

// TestQueueGivesContext: each entry of the Czar's queue says what it is,
// what blocks it, who holds the ball and how long it has waited, not a
// bare id.
func TestQueueGivesContext(t *testing.T) {
	env := newTestEnv(t)
	_, page := env.request("GET", "/queue", "", "")
	for _, want := range []string{
		`<a href="/proposals/testif-1">testif-1</a>: testif from design to prototype, proposed by author`,
		"blocked by objection ring-size by objector (open)",
		"ball with the proposer for 2d 23h",
		"opened 2d 23h ago",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the queue lacks %q", want)
		}
	}
}

// TestDatesDoNotBreak: pages show instants in <time> elements that the
// style sheet keeps on one line (dates broke at their hyphens on phones);
// a deadline's AoE and UTC parts may go on two lines, so that a narrow
// page still fits (TestBrowserObjectionBlocksProposal measures it).
func TestDatesDoNotBreak(t *testing.T) {
	env := newTestEnv(t)
	_, page := env.request("GET", "/proposals/testif-1", "", "")
	if !strings.Contains(page, `<time datetime="`) || !strings.Contains(page, " AoE</time> (<time datetime=") {
		t.Errorf("the proposal page shows no <time> elements:\n%.2000s", page)
	}
	if _, css := env.request("GET", "/static/style.css", "", ""); !strings.Contains(css, "time { white-space: nowrap; }") {
		t.Error("the style sheet lets dates break")
	}
}

// TestProposalPageSaysWhatAndLinks: the proposal page says in one line
// what is proposed, and links the announcement (when the server mails
// them) and the design thread on lore.
func TestProposalPageSaysWhatAndLinks(t *testing.T) {
	env := newTestEnv(t)
	srv := pvhttp.New(env.store, env.store, pvhttp.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: env.clock, MailDomain: "pvczar.example.org"})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/proposals/testif-1")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"<bdi>author</bdi> proposes to move testif from design to prototype.",
		`<a href="https://lore.kernel.org/xen-devel/pvczar.proposal.testif-1@pvczar.example.org/">The announcement on lore</a>`,
		`<a href="https://lore.kernel.org/xen-devel/testif-design@example.org/">The design thread</a>`,
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the proposal page lacks %s", want)
		}
	}
}

// TestRefusalKeepsTheContext: a form the rules refuse shows its page again
// (422), signed in as before, with the reason beside the form and what was
// typed in it; an error page keeps the signed-in header and the page's
// clock (it said "Sign in" and "evaluated at 0001-01-01").
func TestRefusalKeepsTheContext(t *testing.T) {
	env := newTestEnv(t)
	c, csrf := signIn(t, env, "reviewer")
	typed := url.Values{"csrf": {csrf}, "form": {"object"}, "objection": {"ring-size"},
		"about": {"the grant <table> & its size"}, "resolution": {"bound it"}, "reason": {"a long reason\nover two lines"}}
	req, _ := http.NewRequest("POST", env.URL+"/ui/proposals/testif-1/objections", strings.NewReader(typed.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", env.URL+"/proposals/testif-1")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a refused objection: status %d, want 422 with its page", resp.StatusCode)
	}
	form := page[strings.Index(page, `id="object-form"`):]
	form = form[:strings.Index(form, "</form>")]
	for _, want := range []string{
		`<p class="refused" role="alert" id="refused">Refused: <span dir="auto">testif-1 already has an objection named &#34;ring-size&#34;</span></p>`,
		`name="objection" required pattern="[a-z0-9][a-z0-9._\-]*" maxlength="63" placeholder="e.g. grant-limit" value="ring-size"`,
		`value="the grant &lt;table&gt; &amp; its size"`, `value="bound it"`, ">a long reason\nover two lines</textarea>",
	} {
		if !strings.Contains(form, want) {
			t.Errorf("the refused form lacks %s:\n%s", want, form)
		}
	}
	if !strings.Contains(page, "<bdi>reviewer</bdi>") || strings.Contains(page, `href="/signin">Sign in`) || strings.Contains(page, "0001-01-01") {
		t.Errorf("the page after a refusal lost its header or clock:\n%.3000s", page)
	}
	// Another form of the page is not filled in, and the page is not
	// cached with the refused form in it.
	if strings.Count(page, "bound it") != 1 {
		t.Errorf("the typed text shows %d times, want once (in its form)", strings.Count(page, "bound it"))
	}
	if again := get(t, c, env.URL+"/proposals/testif-1"); strings.Contains(again, "bound it") || strings.Contains(again, `class="refused"`) {
		t.Errorf("the next view of the page still shows the refused form")
	}
	notFound := get(t, c, env.URL+"/protocols/nope")
	if !strings.Contains(notFound, "<bdi>reviewer</bdi>") || strings.Contains(notFound, "0001-01-01") || strings.Contains(notFound, `href="/signin">Sign in`) {
		t.Errorf("an error page for a signed-in user:\n%.3000s", notFound)
	}
}

// TestDecideFormOffersWhatIsPossible: on a proposal that is not ready the
// Czar's form offers to reject it only, never a preselected accept.
func TestDecideFormOffersWhatIsPossible(t *testing.T) {
	env := newTestEnv(t)
	c, _ := signIn(t, env, "czar")
	page := get(t, c, env.URL+"/proposals/testif-1")
	if strings.Contains(page, `<option value="accepted">accept</option>`) || !strings.Contains(page, `<input type="hidden" name="outcome" value="rejected">`) {
		t.Errorf("the decide form of a blocked proposal:\n%.4000s", page[max(0, strings.Index(page, "Decide (Czar)")-200):])
	}
}

// TestWhoHoldsTheBall: the queue shows, across all proposals, who holds the
// ball of each open objection and since when.
func TestWhoHoldsTheBall(t *testing.T) {
	env := newTestEnv(t)
	_, page := env.request("GET", "/queue", "", "")
	i := strings.Index(page, "Who holds the ball")
	if i < 0 || !strings.Contains(page[i:], "objection ring-size by objector on testif-1") || !strings.Contains(page[i:], "with author (the proposer) since ") {
		t.Errorf("the queue does not say who holds the ball:\n%.2000s", page[max(0, i):])
	}
}

// TestPokeFromTheProposalPage: the proposer, and only they, get a form to
// poke an objector who holds the ball; the page then lists the poke.
func TestPokeFromTheProposalPage(t *testing.T) {
	env := newTestEnv(t)
	matrixMust(t, env, "POST", "/api/v1/proposals/testif-1/objections/ring-size/answer", "author", `{"text":"see v2"}`, 201)
	c, csrf := signIn(t, env, "author")
	if page := get(t, c, env.URL+"/proposals/testif-1"); !strings.Contains(page, "Poke by mail") {
		t.Fatal("the proposer has no poke form")
	}
	if other, _ := signIn(t, env, "maint"); strings.Contains(get(t, other, env.URL+"/proposals/testif-1"), "Poke by mail") {
		t.Error("someone other than the proposer is offered a poke")
	}
	resp, err := c.PostForm(env.URL+"/ui/proposals/testif-1/objections/ring-size/poke", url.Values{"csrf": {csrf}, "text": {"please look"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("poking: %d", resp.StatusCode)
	}
	if _, page := env.request("GET", "/proposals/testif-1", "", ""); !strings.Contains(page, "Poked by the proposer (not an answer)") {
		t.Error("the page does not list the poke")
	}
}
