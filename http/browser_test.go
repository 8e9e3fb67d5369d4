package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserChromium is Debian's Chromium, which .ci/run installs.
const browserChromium = "/usr/bin/chromium"

// TestBrowserObjectionBlocksProposal drives a real (headless) Chromium: a
// reviewer signs in with a token, objects to an unblocked proposal through
// the form, and the proposal shows as blocked. It takes screenshots of the
// main pages on the way; set PVCZAR_SCREENSHOTS to a directory to keep them.
func TestBrowserObjectionBlocksProposal(t *testing.T) {
	requireChromium(t)
	env := newTestEnv(t)
	// Unblock the proposal: the objector resolves "ring-size".
	if status, body := env.request("POST", "/api/v1/proposals/testif-1/objections/ring-size/resolve", "objector", "{}"); status != http.StatusCreated {
		t.Fatalf("resolving ring-size: %d %s", status, body)
	}
	if objs := browserObjections(t, env); len(objs) != 1 || objs[0].Blocking {
		t.Fatalf("before the test, want ring-size alone and not blocking, got %+v", objs)
	}
	b := newBrowser(t, env)
	bctx, shots, open, text, count, location := b.ctx, b.shots, b.open, b.text, b.count, b.location

	// Sign in with the reviewer's token.
	open("/signin")
	shots.take(bctx, "00-signin")
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS(`form input[name="token"]`), env.tokens["reviewer"])); err != nil {
		t.Fatalf("typing the token: %v", err)
	}
	resp, err := chromedp.RunResponse(bctx, chromedp.Click(chromedp.CSS(`form[action="/signin"] button`)))
	if err != nil {
		t.Fatalf("signing in: %v", err)
	}
	if resp.Status != http.StatusOK || location() != env.URL+"/" {
		t.Fatalf("after signing in: status %d at %s, want 200 at the board", resp.Status, location())
	}
	if who := text("header.top .who .user"); !strings.Contains(who, "reviewer") {
		t.Fatalf("the header shows %q, want the user reviewer", who)
	}
	shots.take(bctx, "01-board")

	// The proposal is open and not blocked.
	open("/proposals/testif-1")
	if n := count("h1 .badge-blocked"); n != 0 {
		t.Fatalf("before objecting, the h1 has %d blocked badges: %q", n, text("h1"))
	}
	if n := count("form#object-form"); n != 1 {
		t.Fatalf("the proposal page has %d objection forms, want 1", n)
	}
	shots.take(bctx, "02-proposal-before")

	// Object through the form.
	const name = "grant-count"
	form := `form#object-form `
	if err := chromedp.Do(bctx,
		chromedp.SendKeys(chromedp.CSS(form+`input[name="objection"]`), name),
		chromedp.SendKeys(chromedp.CSS(form+`input[name="about"]`), "the number of grant references"),
		chromedp.SendKeys(chromedp.CSS(form+`input[name="resolution"]`), "give a maximum and say what a frontend does beyond it"),
		chromedp.SendKeys(chromedp.CSS(form+`textarea[name="reason"]`), "backends allocate per grant and can run out of memory"),
	); err != nil {
		t.Fatalf("filling the objection form: %v", err)
	}
	resp, err = chromedp.RunResponse(bctx, chromedp.Click(chromedp.CSS(form+`button`)))
	if err != nil {
		t.Fatalf("submitting the objection: %v", err)
	}
	if loc := location(); resp.Status != http.StatusOK || !strings.HasPrefix(loc, env.URL+"/proposals/testif-1?done=") {
		t.Fatalf("after objecting: status %d at %s, want 200 back at the proposal with a notice", resp.Status, loc)
	}
	if n := count("p.notice"); n != 1 {
		t.Errorf("after objecting, %d notices, want 1", n)
	}
	if n := count("h1 span.badge-blocked"); n != 1 {
		t.Errorf("after objecting, the h1 has %d blocked badges, want 1: %q", n, text("h1"))
	}
	if n := count("article#objection-" + name); n != 1 {
		t.Fatalf("after objecting, %d articles #objection-%s, want 1", n, name)
	}
	if n := count("article#objection-" + name + ".blocking .badge-blocked"); n != 1 {
		t.Errorf("the new objection is not shown as blocking")
	}
	art := text("article#objection-" + name)
	for _, want := range []string{name, "reviewer", "the number of grant references", "give a maximum", "can run out of memory"} {
		if !strings.Contains(art, want) {
			t.Errorf("the objection's article lacks %q:\n%s", want, art)
		}
	}
	shots.take(bctx, "03-proposal-after")

	// The API agrees.
	var found bool
	for _, o := range browserObjections(t, env) {
		if o.Name == name {
			found = true
			if !o.Blocking || o.Source != "web" || o.Author != "reviewer" || o.Status != "open" {
				t.Errorf("the API shows the objection as %+v, want open, blocking, by reviewer from the web", o)
			}
		}
	}
	if !found {
		t.Errorf("the API does not show the objection %s", name)
	}

	// The other pages, for the screenshots; each must show the blocked state.
	open("/protocols/testif")
	if h := text("h1"); !strings.Contains(h, "testif") {
		t.Errorf("protocol page h1: %q", h)
	}
	shots.take(bctx, "04-protocol")
	open("/queue")
	if n := count(`.queue-section a[href="/proposals/testif-1"]`); n != 1 {
		t.Errorf("the queue lists testif-1 %d times, want once (blocked)", n)
	}
	shots.take(bctx, "05-queue")
	open("/chart")
	if n := count("figure.chart svg"); n != 1 {
		t.Errorf("the chart page has %d SVG charts, want 1", n)
	}
	shots.take(bctx, "06-chart")
	open("/")
	if n := count(".card .badge-blocked"); n != 1 {
		t.Errorf("the board shows %d blocked badges, want 1", n)
	}
	shots.take(bctx, "07-board-after")

	// The proposal on a phone.
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	open("/proposals/testif-1")
	shots.take(bctx, "08-proposal-phone")
}

// requireChromium skips a test when Debian's Chromium is not installed.
func requireChromium(t *testing.T) {
	if _, err := os.Stat(browserChromium); err != nil {
		t.Skipf("no Chromium at %s (.ci/run installs it with apt-get install chromium): %v", browserChromium, err)
	}
}

// browser is a real headless Chromium on a test server, with the steps the
// browser tests take.
type browser struct {
	t     *testing.T
	env   *testEnv
	ctx   context.Context
	shots *browserShots
}

func newBrowser(t *testing.T, env *testEnv) *browser {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(browserChromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		// Chromium leaves its singleton socket directory in TMPDIR.
		chromedp.Env("TMPDIR="+t.TempDir()),
		chromedp.WindowSize(1280, 1800),
	)
	t.Cleanup(cancelAlloc) // stops the browser and waits for it
	bctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf), chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancelBrowser)
	return &browser{t: t, env: env, ctx: bctx, shots: newBrowserShots(t)}
}

// open loads a page and checks that it answered 200 and that nothing
// sticks out sideways.
func (b *browser) open(path string) {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.env.URL+path))
	if err != nil {
		b.t.Fatalf("opening %s: %v", path, err)
	}
	if resp.Status != http.StatusOK {
		b.t.Fatalf("opening %s: status %d", path, resp.Status)
	}
	wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`))
	if err != nil {
		b.t.Fatal(err)
	}
	if wide {
		b.t.Errorf("%s is wider than the window", path)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (b *browser) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
	if err != nil {
		b.t.Fatalf("counting %s: %v", sel, err)
	}
	return n
}

func (b *browser) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return loc
}

// fill types values into the named fields of the form sel, after clearing
// them; a field that is a select gets the value chosen.
func (b *browser) fill(form string, fields map[string]string) {
	b.t.Helper()
	for name, value := range fields {
		sel := fmt.Sprintf(`%s [name=%q]`, form, name)
		// A select is set; a text field is cleared, then typed into.
		tag, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(e => { const tag = e.tagName; if (tag === "SELECT") { e.value = %q } else { e.value = "" } return tag })(document.querySelector(%q))`, value, sel)))
		if err == nil && tag != "SELECT" {
			err = chromedp.Do(b.ctx, chromedp.SendKeys(chromedp.CSS(sel), value))
		}
		if err != nil {
			b.t.Fatalf("filling %s of %s: %v", name, form, err)
		}
	}
}

// submit clicks the form's button and returns the status of the page that
// came back.
func (b *browser) submit(form string) int {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(form+" button")))
	if err != nil {
		b.t.Fatalf("submitting %s: %v", form, err)
	}
	return int(resp.Status)
}

// signIn signs in as user with their token, signing out whoever was in.
func (b *browser) signIn(user string) {
	b.t.Helper()
	b.open("/signin")
	if b.count(`form[action="/signout"]`) > 0 {
		b.submit(`form[action="/signout"]`)
		b.open("/signin")
	}
	b.fill(`form[action="/signin"]`, map[string]string{"token": b.env.tokens[user]})
	if status := b.submit(`form[action="/signin"]`); status != http.StatusOK {
		b.t.Fatalf("signing in as %s: status %d", user, status)
	}
	if who := b.text("header.top .who .user"); !strings.Contains(who, user) {
		b.t.Fatalf("the header shows %q, want the user %s", who, user)
	}
}

// browserObjection is what the test reads of an objection from the API.
type browserObjection struct {
	Name     string `json:"name"`
	Author   string `json:"author"`
	Source   string `json:"source"`
	Status   string `json:"status"`
	Blocking bool   `json:"blocking"`
}

func browserObjections(t *testing.T, env *testEnv) []browserObjection {
	t.Helper()
	status, body := env.request("GET", "/api/v1/proposals/testif-1", "", "")
	if status != http.StatusOK {
		t.Fatalf("GET proposal: %d %s", status, body)
	}
	var pr struct {
		Objections []browserObjection `json:"objections"`
	}
	if err := json.Unmarshal([]byte(body), &pr); err != nil {
		t.Fatalf("GET proposal: %v\n%s", err, body)
	}
	return pr.Objections
}

// browserShots writes full-page PNG screenshots into the test's temporary
// directory and, when PVCZAR_SCREENSHOTS names a directory, there too.
type browserShots struct {
	t    *testing.T
	dirs []string
}

func newBrowserShots(t *testing.T) *browserShots {
	s := &browserShots{t: t, dirs: []string{t.TempDir()}}
	if dir := os.Getenv("PVCZAR_SCREENSHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		s.dirs = append(s.dirs, dir)
	}
	return s
}

func (s *browserShots) take(ctx context.Context, name string) {
	s.t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.t.Fatalf("screenshot %s: %v", name, err)
	}
	for _, dir := range s.dirs {
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			s.t.Fatal(err)
		}
	}
}

// TestPagesNoScript checks that the pages need no JavaScript: none has a
// script, and every form that posts carries the session's CSRF token, so
// that a plain HTML form works.
func TestPagesNoScript(t *testing.T) {
	env := newTestEnv(t)
	pages := []string{"/", "/protocols/testif", "/proposals/testif-1", "/queue", "/activity", "/digest", "/chart", "/chart.svg", "/signin", "/no-such-page"}
	script := regexp.MustCompile(`(?i)<script|javascript:|<[^>]*\son[a-z]+\s*=`)
	check := func(c *http.Client, who, path string) string {
		t.Helper()
		resp, err := c.Get(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := http.StatusOK
		if path == "/no-such-page" {
			want = http.StatusNotFound
		}
		if resp.StatusCode != want {
			t.Errorf("%s GET %s: status %d, want %d", who, path, resp.StatusCode, want)
		}
		if m := script.Find(b); m != nil {
			t.Errorf("%s GET %s: the page has script (%q)", who, path, m)
		}
		return string(b)
	}
	for _, path := range pages {
		check(http.DefaultClient, "anonymous", path)
	}

	// Signed in, every form that posts carries the session's CSRF token; the
	// objector sees the forms of its own objection, the Czar those of the
	// Czar.
	for _, user := range []string{"reviewer", "objector", "czar", "author"} {
		c := noScriptSignIn(t, env, user)
		for _, path := range pages {
			check(c, user, path)
		}
		page := check(c, user, "/proposals/testif-1")
		if !strings.Contains(page, `id="object-form"`) {
			t.Errorf("%s: the proposal page has no objection form", user)
		}
		forms := noScriptPostForms(page)
		if len(forms) < 3 {
			t.Errorf("%s: only %d forms that post on the proposal page", user, len(forms))
		}
		var csrf string
		for _, f := range forms {
			m := regexp.MustCompile(`<input type="hidden" name="csrf" value="([^"]+)">`).FindStringSubmatch(f)
			if m == nil {
				t.Errorf("%s: a form has no CSRF input:\n%s", user, f)
				continue
			}
			if csrf == "" {
				csrf = m[1]
			} else if m[1] != csrf {
				t.Errorf("%s: forms carry different CSRF tokens %q and %q", user, csrf, m[1])
			}
		}
		if user == "czar" && !strings.Contains(page, "/objections/ring-size/overrule") {
			t.Errorf("czar: no overrule form")
		}
		if user == "objector" && !strings.Contains(page, "/objections/ring-size/resolve") {
			t.Errorf("objector: no resolve form for its objection")
		}
		// The pages of people, and the protocol's page, carry forms too:
		// each with the CSRF token.
		own := []string{"/protocols/testif", "/users", "/account", "/away"}
		if user == "czar" || user == "author" {
			own = append(own, "/register")
		}
		for _, path := range own {
			for _, f := range noScriptPostForms(check(c, user, path)) {
				if !strings.Contains(f, `<input type="hidden" name="csrf" value="`+csrf+`">`) {
					t.Errorf("%s GET %s: a form lacks the session's CSRF token:\n%s", user, path, f)
				}
			}
		}

		// A plain form post works with the token and is refused without it.
		post := func(token string) *http.Response {
			t.Helper()
			form := url.Values{"kind": {"comment"}, "text": {"posted without JavaScript by " + user}}
			if token != "" {
				form.Set("csrf", token)
			}
			resp, err := c.PostForm(env.URL+"/ui/proposals/testif-1/positions", form)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}
		if resp := post(""); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: a form post without CSRF token: status %d, want 403", user, resp.StatusCode)
		}
		if resp := post(csrf); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/proposals/testif-1?done=") {
			t.Errorf("%s: a form post: status %d to %q, want 303 back to the proposal", user, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	_, body := env.request("GET", "/api/v1/proposals/testif-1", "", "")
	if n := strings.Count(body, "posted without JavaScript"); n != 4 {
		t.Errorf("the API shows %d positions posted by forms, want 4", n)
	}
}

// noScriptPostForms returns each <form method="post" ...>...</form> of a page.
func noScriptPostForms(page string) []string {
	var out []string
	for rest := page; ; {
		i := strings.Index(rest, `<form method="post"`)
		if i < 0 {
			return out
		}
		rest = rest[i:]
		j := strings.Index(rest, "</form>")
		if j < 0 {
			return append(out, rest)
		}
		out = append(out, rest[:j+len("</form>")])
		rest = rest[j:]
	}
}

// noScriptSignIn signs user in through the sign-in form, with the user's
// token, and returns a client that carries the session cookie and does not
// follow redirects.
func noScriptSignIn(t *testing.T, env *testEnv, user string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(env.URL + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`<input type="hidden" name="csrf" value="([^"]+)">`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("the sign-in form has no CSRF input:\n%s", b)
	}
	u, _ := url.Parse(env.URL)
	var cookie string
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "pvczar_signin" {
			cookie = ck.Value
		}
	}
	if cookie == "" || cookie != string(m[1]) {
		t.Fatalf("the sign-in cookie %q does not match the form's CSRF value %q", cookie, m[1])
	}
	resp, err = c.PostForm(env.URL+"/signin", url.Values{"csrf": {string(m[1])}, "token": {env.tokens[user]}, "next": {"/queue"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/queue" {
		t.Fatalf("signing in %s: status %d to %q, want 303 to /queue", user, resp.StatusCode, resp.Header.Get("Location"))
	}
	var session bool
	for _, ck := range jar.Cookies(u) {
		session = session || (ck.Name == "pvczar_session" && ck.Value != "")
	}
	if !session {
		t.Fatalf("signing in %s set no session cookie", user)
	}
	return c
}
