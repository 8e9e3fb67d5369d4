package http_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// TestProposeFormAdoptsThread: the propose form takes a thread; a bad
// Message-ID is refused naming the field and kept beside the form; the
// proposal's page links the thread on lore.
func TestProposeFormAdoptsThread(t *testing.T) {
	env := newTestEnv(t)
	if code, body := env.request("POST", "/api/v1/proposals/testif-1/withdraw", "author", `{"reason":"adopting the patch thread"}`); code != http.StatusCreated {
		t.Fatalf("withdraw: %d %s", code, body)
	}
	c, csrf := signIn(t, env, "author")
	page := get(t, c, env.URL+"/protocols/testif")
	if !strings.Contains(page, `id="propose-form"`) || !strings.Contains(page, `name="thread"`) {
		t.Fatalf("the propose form has no thread field:\n%s", page)
	}
	form := url.Values{"csrf": {csrf}, "form": {"propose"}, "to": {"prototype"}, "thread": {"not an id"}}
	_, _, body := postForm(t, env, c, "/ui/protocols/testif/proposals", "/protocols/testif", form)
	if !strings.Contains(body, "thread: &#34;not an id&#34; is not a Message-ID") || !strings.Contains(body, `value="not an id"`) {
		t.Fatalf("a bad thread is not refused beside the form:\n%s", body)
	}
	form.Set("thread", "<20260302.7-author@example.org>")
	if code, loc, body := postForm(t, env, c, "/ui/protocols/testif/proposals", "/protocols/testif", form); code != http.StatusSeeOther {
		t.Fatalf("propose: %d %s %s", code, loc, body)
	}
	page = get(t, c, env.URL+"/proposals/testif-2")
	if !strings.Contains(page, `href="https://lore.kernel.org/xen-devel/20260302.7-author@example.org/"`) {
		t.Errorf("the proposal page does not link its thread:\n%s", page)
	}
	if _, body := env.request("GET", "/api/v1/registry", "", ""); !strings.Contains(body, `"thread": "20260302.7-author@example.org"`) {
		t.Errorf("the API does not show the thread")
	}
}

// TestQueueListsSupportPatch: a SUPPORT.md patch read in mail is in the
// queue page, with its command in full, and in the status JSON.
func TestQueueListsSupportPatch(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	id := "20260301.1-maint@example.org"
	ev := pvczar.Event{Type: pvczar.EventSupportCandidate, At: testStart.Add(-time.Hour), Actor: pvczar.ActorMail, Source: pvczar.SourceMailPrefix + id,
		Key: pvczar.CandidateKey(id), Data: pvczar.EventData{MessageID: id, Subject: "[PATCH] SUPPORT.md: <testif> frontend", Display: "Maint",
			Changes: []pvczar.LabelChange{{Protocol: "testif", Entry: "PV test (frontend)", Implementation: "linux-frontend", Side: "frontend", Name: "Linux", To: "Experimental"}}}}
	// The step mail ingest performs for the patch's mail.
	if _, err := env.store.Act(ctx, ev); err != nil {
		t.Fatal(err)
	}
	cmd := "pvczar propose testif --thread &#39;&lt;" + id + "&gt;&#39;"
	_, page := env.request("GET", "/queue", "", "")
	if !strings.Contains(page, "SUPPORT.md patches on the list") || !strings.Contains(page, cmd) || strings.Contains(page, "<testif>") ||
		!strings.Contains(page, "blocked by the open proposal testif-1") {
		t.Errorf("the queue page:\n%s", page)
	}
	if _, body := env.request("GET", "/api/v1/status", "", ""); !strings.Contains(body, `"command": "pvczar propose testif --thread '\u003c`+id+`\u003e'"`) {
		t.Errorf("the status JSON lacks the candidate:\n%s", body)
	}
}
