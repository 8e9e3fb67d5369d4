package http_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar/mail"
)

// TestDigestPageListsMailNotApplied: the digest page and its text list a
// line of mail that did not count, escaped (the subject, the sender's name
// and the line are anyone's), and the events API shows the sender's
// address to those signed in only.
func TestDigestPageListsMailNotApplied(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	m := mail.Mail{MessageID: "evil@example.net", From: mail.Address{Name: `<b>Mallory</b>`, Email: "mallory@example.net"},
		Subject: `Re: <script>alert("x")</script>`, Date: testStart.Add(-time.Hour), Body: "Acked-by: Mallory <img src=x onerror=alert(1)>\n"}
	reg, err := env.store.Registry(ctx, testStart)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.store.Act(ctx, mail.UnappliedEvent(reg, m, "testif-1", 1, "the sender is not a pvczar user")); err != nil {
		t.Fatal(err)
	}
	_, text := env.request("GET", "/digest.txt", "", "")
	if !strings.Contains(text, "Mail commands not applied") || !strings.Contains(text, "https://lore.kernel.org/xen-devel/evil@example.net/") {
		t.Fatalf("the digest's text:\n%s", text)
	}
	_, page := env.request("GET", "/digest", "", "")
	if !strings.Contains(page, "Mail commands not applied") || strings.Contains(page, "<script>alert") || strings.Contains(page, "<img") || !strings.Contains(page, "&lt;b&gt;Mallory&lt;/b&gt;") {
		t.Errorf("the digest page:\n%s", page)
	}
	for user, shown := range map[string]bool{"": false, "reader": true} {
		_, events := env.request("GET", "/api/v1/events?order=newest&limit=1", user, "")
		if !strings.Contains(events, `"mail.unapplied"`) || strings.Contains(events, "mallory@example.net") != shown {
			t.Errorf("the events as %q: the address shown %v, want %v:\n%s", user, !shown, shown, events)
		}
	}
}
