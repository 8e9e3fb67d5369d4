package http_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// postForm posts a form with c and returns where it sends the browser.
// postAway posts a form of the away page, and returns where it was sent,
// or the page that came back when it was refused.
func postAway(t *testing.T, env *testEnv, c *http.Client, path string, form url.Values) (loc, refused string) {
	t.Helper()
	status, loc, body := postForm(t, env, c, path, "/away", form)
	switch status {
	case http.StatusSeeOther:
		return loc, ""
	case http.StatusUnprocessableEntity:
		return "", body
	}
	t.Fatalf("posting %s: %d", path, status)
	return "", ""
}

// TestAwayFromTheWeb: a signed-in person declares an absence on /away; a
// refused one comes back to the page saying why; while the objector is
// away the proposal page and the queue say that the lapse clock is paused,
// and the objection lapses that much later; an absence to come may be
// cancelled from the page.
func TestAwayFromTheWeb(t *testing.T) {
	env := newTestEnv(t) // 2026-03-02 09:00 UTC
	c, csrf := signIn(t, env, "objector")
	if page := get(t, c, env.URL+"/away"); !strings.Contains(page, "Declare an absence") || !strings.Contains(page, "0 of 30 days for 2026: 30 left") {
		t.Fatalf("the page offers no form:\n%.3000s", page)
	}
	if _, page := env.request("GET", "/away", "", ""); strings.Contains(page, "Declare an absence") {
		t.Error("anonymous is offered the form")
	}
	declare := func(from, until string) string {
		loc, _ := postAway(t, env, c, "/ui/absences", url.Values{"csrf": {csrf}, "form": {"away"}, "from": {from}, "until": {until}, "reason": {"a conference"}})
		return loc
	}
	if loc := declare("2026-03-04", "2026-03-13"); !strings.HasPrefix(loc, "/away?done=") {
		t.Fatalf("declaring: sent to %q", loc)
	}
	page := get(t, c, env.URL+"/away")
	for _, want := range []string{"<bdi>objector</bdi>", "2026-03-04 00:00:00 AoE", "2026-03-13 23:59:59 AoE", "<td>10</td>", "a conference", "10 of 30 days for 2026: 20 left", `action="/ui/absences/cancel"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page after declaring lacks %q", want)
		}
	}
	if _, anon := env.request("GET", "/away", "", ""); !strings.Contains(anon, "<bdi>objector</bdi>") || strings.Contains(anon, "a conference") {
		t.Error("anonymous should see the absence, not its reason")
	}
	for from, why := range map[string]string{
		"2026-03-01": "before it starts",
		"2026-03-20": "has declared 10 days for 2026 and has 20 left",
	} {
		loc, page := postAway(t, env, c, "/ui/absences", url.Values{"csrf": {csrf}, "form": {"away"}, "from": {from}, "until": {"2026-04-13"}, "reason": {"a conference"}})
		if loc != "" {
			t.Fatalf("a refused absence from %s: sent to %q", from, loc)
		}
		if !strings.Contains(page, `<p class="refused" role="alert" id="refused">Refused: `) || !strings.Contains(page, why) || !strings.Contains(page, "<bdi>objector</bdi>") ||
			!strings.Contains(page, `value="`+from+`"`) || !strings.Contains(page, `value="2026-04-13"`) {
			t.Errorf("the refusal of %s does not say %q beside the form with the dates kept:\n%.4000s", from, why, page)
		}
	}

	// The proposer answers now: without the absence the objection would
	// lapse 7 days later; the 10 days away push the lapse to 2026-03-19.
	matrixMust(t, env, "POST", "/api/v1/proposals/testif-1/objections/ring-size/answer", "author", `{"text":"see v2"}`, http.StatusCreated)
	env.advance(4 * pvczar.Day)          // 2026-03-06, away
	c, csrf = signIn(t, env, "objector") // the session has expired
	_, prop := env.request("GET", "/proposals/testif-1", "", "")
	if !strings.Contains(prop, "<bdi>objector</bdi> is away until ") || !strings.Contains(prop, "2026-03-13 23:59:59 AoE") ||
		!strings.Contains(prop, "the lapse clock is paused: the objection lapses at <time datetime=\"2026-03-19T09:00:00Z\">") {
		t.Errorf("the proposal page does not say the objector is away:\n%.4000s", prop[max(0, strings.Index(prop, "objection-ring-size")):])
	}
	_, queue := env.request("GET", "/queue", "", "")
	if i := strings.Index(queue, "Away"); i < 0 || !strings.Contains(queue[i:], "away from 2026-03-04 00:00:00 AoE to 2026-03-13 23:59:59 AoE (10 days)") ||
		!strings.Contains(queue[i:], "testif-1/ring-size (lapses 2026-03-19 09:00:00 UTC)") || !strings.Contains(queue, "away until 2026-03-13 23:59:59 AoE") {
		t.Errorf("the queue does not show who is away:\n%s", queue)
	}
	if loc, page := postAway(t, env, c, "/ui/absences/cancel", url.Values{"csrf": {csrf}, "from": {"2026-03-04"}}); loc != "" || !strings.Contains(page, "Refused: ") {
		t.Errorf("cancelling an absence under way: sent to %q", loc)
	}
	env.advance(13*pvczar.Day - time.Second) // a second before 2026-03-19 09:00
	matrixMust(t, env, "POST", "/api/v1/tick", "czar", `{}`, http.StatusOK)
	if _, body := env.request("GET", "/api/v1/proposals/testif-1", "", ""); !strings.Contains(body, `"status": "open"`) {
		t.Errorf("ring-size lapsed early: %s", body)
	}
	env.advance(time.Second)
	matrixMust(t, env, "POST", "/api/v1/tick", "czar", `{}`, http.StatusOK)
	if _, body := env.request("GET", "/api/v1/proposals/testif-1", "", ""); !strings.Contains(body, `"status": "lapsed"`) {
		t.Errorf("ring-size has not lapsed at its paused lapse: %s", body)
	}

	// An absence to come is cancelled from the page, and its days are free.
	c, csrf = signIn(t, env, "objector")
	declare("2026-06-01", "2026-06-02")
	if loc, _ := postAway(t, env, c, "/ui/absences/cancel", url.Values{"csrf": {csrf}, "from": {"2026-06-01"}}); !strings.HasPrefix(loc, "/away?done=") {
		t.Errorf("cancelling: sent to %q", loc)
	}
	if page := get(t, c, env.URL+"/away"); strings.Contains(page, "2026-06-01") || !strings.Contains(page, "10 of 30 days for 2026") {
		t.Errorf("after the cancellation:\n%.3000s", page)
	}
}

// TestAwayReasonIsPrivate: the reason of an absence reaches only the Czar
// and the absent person, through the registry, the users and the events
// of the API, as on the away page; others, signed in or not, see the
// absence without it.
func TestAwayReasonIsPrivate(t *testing.T) {
	env := newTestEnv(t)
	matrixMust(t, env, "POST", "/api/v1/absences", "objector", `{"from":"2026-03-20","until":"2026-03-22","reason":"a private matter"}`, http.StatusCreated)
	if _, body := env.request("GET", "/api/v1/status", "", ""); !contains(body, `"away"`) || contains(body, "a private matter") {
		t.Errorf("the status shows no absence, or its reason: %.500s", body)
	}
	for _, path := range []string{"/api/v1/registry", "/api/v1/users", "/api/v1/events?order=newest&limit=5"} {
		for _, who := range []string{"", "reader", "maint", "objector", "czar"} {
			status, body := env.request("GET", path, who, "")
			if status != http.StatusOK || !contains(body, "2026-03-20") && !contains(body, "2026-03-19T12:00:00Z") {
				t.Fatalf("GET %s as %q: %d, or no absence: %.300s", path, who, status, body)
			}
			if shown, want := contains(body, "a private matter"), who == "objector" || who == "czar"; shown != want {
				t.Errorf("GET %s as %q: the reason shown %v, want %v", path, who, shown, want)
			}
		}
	}
}
