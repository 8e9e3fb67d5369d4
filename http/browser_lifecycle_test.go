package http_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xen-pvczar/pvczar"
)

// TestBrowserRegistrationToPrototype takes a new protocol from its
// registration to prototype through the web pages alone, in a real
// Chromium: the author registers it (a first try with a taken id is refused
// beside the form, the title kept), records its design document, uploads
// the document for the check, records its design thread and proposes; a
// maintainer acks; the window closes by the clock; the Czar accepts.
// Screenshots: set PVCZAR_SCREENSHOTS to a directory to keep them.
func TestBrowserRegistrationToPrototype(t *testing.T) {
	requireChromium(t)
	env := newTestEnv(t)
	b := newBrowser(t, env)

	// Register, as the author.
	b.signIn("author")
	b.open("/")
	if b.count(`header nav a[href="/register"]`) != 1 {
		t.Fatal("the author is not offered to register a protocol")
	}
	b.open("/register")
	form := "form#register-form"
	b.fill(form, map[string]string{"protocol": "testif", "title": "PV camera: frames from a backend camera"})
	if status := b.submit(form); status != http.StatusUnprocessableEntity {
		t.Fatalf("registering a taken id: status %d, want 422", status)
	}
	if got := b.text(form + " p.refused"); !strings.Contains(got, `protocol "testif" exists already`) {
		t.Errorf("beside the refused form: %q", got)
	}
	if title, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(form+` [name="title"]`))); title != "PV camera: frames from a backend camera" {
		t.Errorf("the refused form lost the title: %q", title)
	}
	b.shots.take(b.ctx, "10-register-refused")
	b.fill(form, map[string]string{"protocol": "cameraif"})
	if status := b.submit(form); status != http.StatusOK || !strings.HasPrefix(b.location(), env.URL+"/protocols/cameraif?done=") {
		t.Fatalf("registering: status %d at %s", status, b.location())
	}
	if h := b.text("h1"); !strings.Contains(h, "cameraif") || !strings.Contains(h, "design") {
		t.Errorf("the new protocol's page: %q", h)
	}
	if n := b.count(".gates li.fail"); n != 3 {
		t.Errorf("a new protocol fails %d gates to prototype, want 3", n)
	}
	b.shots.take(b.ctx, "11-registered")

	// Its evidence, each from its own form.
	recorded := func(form, gate string) {
		t.Helper()
		if status := b.submit(form); status != http.StatusOK || b.count("p.notice") != 1 {
			t.Fatalf("%s: status %d, %d notices, at %s", form, status, b.count("p.notice"), b.location())
		}
		if b.count(`.gates li.pass b`) == 0 || !strings.Contains(b.text(".gates"), gate) {
			t.Fatalf("after %s the gates read %q", form, b.text(".gates"))
		}
	}
	b.fill("form#design-doc-form", map[string]string{"path": "docs/misc/cameraif.pandoc", "commit": "0123456789ab"})
	recorded("form#design-doc-form", "design-doc")
	doc, err := filepath.Abs("../designdoc/testdata/toyif.md")
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.CSS(`form#doc-check-form input[name="doc_file"]`), []string{doc})); err != nil {
		t.Fatalf("choosing the document to upload: %v", err)
	}
	recorded("form#doc-check-form", "doc-check")
	b.fill("form#design-thread-form", map[string]string{"message_id": "cameraif-design@example.org"})
	recorded("form#design-thread-form", "design-thread")
	if n := b.count(".gates li.pass"); n != 3 {
		t.Fatalf("after the evidence, %d gates pass, want 3: %q", n, b.text(".gates"))
	}
	b.shots.take(b.ctx, "12-gates-pass")

	// Propose.
	b.fill("form#propose-form", map[string]string{"reason": "the design is reviewed"})
	if status := b.submit("form#propose-form"); status != http.StatusOK || !strings.Contains(b.text("p.callout"), "cameraif-1") {
		t.Fatalf("proposing: status %d at %s", status, b.location())
	}
	b.open("/proposals/cameraif-1")
	if h := b.text("h1"); !strings.Contains(h, "design → prototype") || !strings.Contains(h, "open") {
		t.Errorf("the proposal's h1: %q", h)
	}
	b.shots.take(b.ctx, "13-proposed")

	// A maintainer acks.
	b.signIn("maint")
	b.open("/proposals/cameraif-1")
	b.fill(`form[action="/ui/proposals/cameraif-1/positions"]`, map[string]string{"kind": "ack", "text": "looks right"})
	if status := b.submit(`form[action="/ui/proposals/cameraif-1/positions"]`); status != http.StatusOK {
		t.Fatalf("acking: status %d", status)
	}
	if q := b.text(".needs"); !strings.Contains(q, "1 of 1") {
		t.Errorf("after the ack the quorum reads %q", q)
	}
	b.shots.take(b.ctx, "14-acked")

	// The window closes by the clock: 10 days, to the end of the last day
	// AoE. A second before, it is open; at the end, the proposal is ready.
	_, pr, err := mustRegistry(t, env).Proposal("cameraif-1")
	if err != nil {
		t.Fatal(err)
	}
	env.advance(pr.ClosesAt().Sub(env.clock()) - time.Second)
	b.signIn("czar")
	b.open("/proposals/cameraif-1")
	if strings.Contains(b.text(".deadline"), "The window is closed.") || b.count("h1 .badge-ready") != 0 {
		t.Fatalf("a second before it closes, the window reads %q", b.text(".deadline"))
	}
	if b.count(`form[action="/ui/proposals/cameraif-1/decision"] option[value="accepted"]`) != 0 {
		t.Error("the Czar is offered to accept before the window closed")
	}
	env.advance(time.Second)
	b.open("/proposals/cameraif-1")
	if !strings.Contains(b.text(".deadline"), "The window is closed.") || b.count("h1 .badge-ready") != 1 {
		t.Fatalf("at its close, the window reads %q and the h1 %q", b.text(".deadline"), b.text("h1"))
	}
	b.shots.take(b.ctx, "15-ready")

	// The Czar accepts.
	decide := `form[action="/ui/proposals/cameraif-1/decision"]`
	b.fill(decide, map[string]string{"outcome": "accepted", "reason": "lazy consensus: no objection"})
	if status := b.submit(decide); status != http.StatusOK {
		t.Fatalf("deciding: status %d", status)
	}
	if h := b.text("h1"); !strings.Contains(h, "accepted") {
		t.Errorf("after the decision the h1 reads %q", h)
	}
	b.open("/protocols/cameraif")
	if h := b.text("h1"); !strings.Contains(h, "prototype") {
		t.Errorf("after the decision the protocol's h1 reads %q", h)
	}
	b.shots.take(b.ctx, "16-prototype")

	// Everything was done from the web, by the people who did it.
	events, err := env.store.Events(t.Context(), pvczar.EventFilter{Stream: pvczar.ProtocolStream("cameraif")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		if e.Type.IsClock() {
			continue
		}
		if e.Source != pvczar.SourceWeb {
			t.Errorf("%s came from %s, not the web", e.Type, e.Source)
		}
		got = append(got, string(e.Type)+" by "+e.Actor)
	}
	want := "protocol.registered by author, evidence.recorded by author, evidence.recorded by author, evidence.recorded by author, proposal.opened by author, position.recorded by maint, proposal.decided by czar"
	if strings.Join(got, ", ") != want {
		t.Errorf("the events:\n%s\nwant:\n%s", strings.Join(got, ", "), want)
	}
}

// mustRegistry is the evaluation at the test server's time.
func mustRegistry(t *testing.T, env *testEnv) *pvczar.Registry {
	t.Helper()
	reg, err := env.store.Registry(t.Context(), env.clock())
	if err != nil {
		t.Fatal(err)
	}
	return reg
}
