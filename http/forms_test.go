package http_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar"
)

// postForm posts a form as the client c from the page at referer, and
// returns the status, the Location and the body.
func postForm(t *testing.T, env *testEnv, c *http.Client, path, referer string, form url.Values) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", env.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return sendForm(t, env, c, req, referer)
}

// sendForm sends a form's request as the client c from the page at
// referer, and returns the status, the Location and the body.
func sendForm(t *testing.T, env *testEnv, c *http.Client, req *http.Request, referer string) (int, string, string) {
	t.Helper()
	if referer != "" {
		req.Header.Set("Referer", env.URL+referer)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// postUpload posts a multipart form as the client c from the page at
// referer: its fields, and when file is not nil, a file in fileField
// named name. It returns the status and the body.
func postUpload(t *testing.T, env *testEnv, c *http.Client, path, referer string, fields map[string]string, fileField, name string, file []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if file != nil {
		fw, _ := mw.CreateFormFile(fileField, name)
		fw.Write(file)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", env.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	status, _, b := sendForm(t, env, c, req, referer)
	return status, b
}

var formIDs = regexp.MustCompile(`<form [^>]*id="([a-z-]+)-form"`)

// TestProtocolFormsByRole: a protocol's page offers each person the forms
// their role permits, and only those: a form whose command the rules would
// refuse for their role is not shown.
func TestProtocolFormsByRole(t *testing.T) {
	env := newTestEnv(t)
	// A protocol with no open proposal, owned by author; its gates to
	// prototype fail.
	if status, body := env.request("POST", "/api/v1/protocols", "author", `{"protocol":"otherif","title":"Other interface"}`); status != http.StatusCreated {
		t.Fatalf("registering otherif: %d %s", status, body)
	}
	if status, body := env.request("POST", "/api/v1/protocols/otherif/known-issues", "author", `{"text":"the ring may overflow"}`); status != http.StatusCreated {
		t.Fatalf("a known issue: %d %s", status, body)
	}
	evidence := []string{"design-doc", "doc-check", "design-thread", "spec", "version", "compatibility", "implementation"}
	want := map[string][]string{
		"czar":     append(slices.Clone(evidence), "waive", "defer", "withdraw", "issue-add"),
		"author":   append(slices.Clone(evidence), "withdraw", "issue-add"),
		"maint":    {"issue-add"},
		"other":    nil,
		"reviewer": nil,
		"reader":   nil,
	}
	for user, forms := range want {
		c, _ := signIn(t, env, user)
		page := get(t, c, env.URL+"/protocols/otherif")
		if strings.Contains(page, "nil&gt;") || strings.Contains(page, "<nil>") {
			t.Errorf("%s: the page of a protocol without a design document shows a nil value", user)
		}
		var got []string
		for _, m := range formIDs.FindAllStringSubmatch(page, -1) {
			got = append(got, m[1])
		}
		slices.Sort(got)
		slices.Sort(forms)
		if !slices.Equal(got, forms) {
			t.Errorf("%s sees the forms %v, want %v", user, got, forms)
		}
		accept := strings.Contains(page, `/known-issues/1/accept"`)
		closeIt := strings.Contains(page, `/known-issues/1/close"`)
		if accept != (user == "czar") || closeIt != (user == "czar" || user == "author") {
			t.Errorf("%s: accept form %v, close form %v", user, accept, closeIt)
		}
		// Gates fail: nobody is offered a form that proposes.
		if strings.Contains(page, `id="propose-form"`) {
			t.Errorf("%s is offered to propose a move whose gates fail", user)
		}
		if (user == "czar" || user == "author") != strings.Contains(page, "Not possible yet: 3 gates to prototype fail") {
			t.Errorf("%s: the hint on the failing gates is wrong", user)
		}
	}
	// On testif, whose proposal is open, nobody may defer or withdraw it.
	c, _ := signIn(t, env, "czar")
	page := get(t, c, env.URL+"/protocols/testif")
	if strings.Contains(page, `id="defer-form"`) || strings.Contains(page, `id="withdraw-form"`) || !strings.Contains(page, "decide or withdraw its open proposal first") {
		t.Errorf("with an open proposal, the Czar is offered to defer or withdraw testif, or is not told why not")
	}
}

// TestDocCheckUpload: the design document is uploaded as a file with the
// doc-check form; the server checks it and records its own result.
func TestDocCheckUpload(t *testing.T) {
	env := newTestEnv(t)
	c, csrf := signIn(t, env, "author")
	doc, err := os.ReadFile("../designdoc/testdata/toyif.md")
	if err != nil {
		t.Fatal(err)
	}
	upload := func(doc []byte, passed string) (int, string) {
		t.Helper()
		fields := map[string]string{"csrf": csrf, "form": "doc-check", "evidence": "doc-check", "path": "toyif.md"}
		if passed != "" {
			fields["passed"] = passed
		}
		return postUpload(t, env, c, "/ui/protocols/testif/evidence", "/protocols/testif", fields, "doc_file", "toyif.md", doc)
	}
	if status, body := upload(doc, ""); status != http.StatusSeeOther {
		t.Fatalf("uploading the document: %d %.2000s", status, body)
	}
	events, err := env.store.Events(t.Context(), pvczarAll)
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if last.Type != pvczar.EventEvidenceRecorded || last.Data.Evidence != pvczar.EvidenceDocCheck || last.Data.Passed == nil || !*last.Data.Passed || last.Data.DocText != string(doc) {
		t.Fatalf("the upload recorded %s %+v, want a passed doc-check with the uploaded text", last.Type, last.Data)
	}
	// A form cannot claim a result: a field "passed" is not read, and the
	// result recorded is the server's own.
	if status, body := upload(doc, "false"); status != http.StatusSeeOther {
		t.Fatalf("uploading with a claimed result: %d %.2000s", status, body)
	}
	events, err = env.store.Events(t.Context(), pvczarAll)
	if err != nil {
		t.Fatal(err)
	}
	if last := events[len(events)-1]; last.Data.Passed == nil || !*last.Data.Passed {
		t.Errorf("a form's claimed result was recorded: %+v", last.Data.Passed)
	}
	// A document that fails the check is recorded as failed.
	if status, body := upload([]byte("# Nothing\n\nNo sections at all.\n"), ""); status != http.StatusSeeOther {
		t.Fatalf("uploading a poor document: %d %.2000s", status, body)
	}
	events, err = env.store.Events(t.Context(), pvczarAll)
	if err != nil {
		t.Fatal(err)
	}
	if last := events[len(events)-1]; last.Data.Passed == nil || *last.Data.Passed {
		t.Errorf("a poor document passed the check: %+v", last.Data)
	}
}

// TestAccountPage: a person sets their password, creates a token shown
// once, uses it, and revokes it, all from their own page.
func TestAccountPage(t *testing.T) {
	env := newTestEnv(t)
	c, csrf := signIn(t, env, "reviewer")
	// Passwords that differ are refused beside the form; neither is echoed.
	status, _, body := postForm(t, env, c, "/ui/account/password", "/account", url.Values{"csrf": {csrf}, "password": {"correct horse battery"}, "again": {"correct horse staple"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "the two passwords differ") || strings.Contains(body, "correct horse") {
		t.Fatalf("two different passwords: %d\n%.3000s", status, body)
	}
	status, loc, _ := postForm(t, env, c, "/ui/account/password", "/account", url.Values{"csrf": {csrf}, "password": {"correct horse battery"}, "again": {"correct horse battery"}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/account?done=") {
		t.Fatalf("setting the password: %d to %s", status, loc)
	}
	cookies, _ := cookiejar.New(nil)
	jar := &http.Client{Jar: cookies, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	signin := get(t, jar, env.URL+"/signin")
	resp, err := jar.PostForm(env.URL+"/signin", url.Values{"csrf": {hiddenCSRF(t, signin)}, "user": {"reviewer"}, "password": {"correct horse battery"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("signing in with the new password: %d", resp.StatusCode)
	}

	status, _, body = postForm(t, env, c, "/ui/account/tokens", "/account", url.Values{"csrf": {csrf}, "name": {"laptop"}, "ttl_days": {"30"}})
	secret := regexp.MustCompile(`<code class="secret">(pvz_[^<]+)</code>`).FindStringSubmatch(body)
	if status != http.StatusCreated || secret == nil {
		t.Fatalf("creating a token: %d\n%.3000s", status, body)
	}
	req, _ := http.NewRequest("GET", env.URL+"/api/v1/tokens", nil)
	req.Header.Set("Authorization", "Bearer "+secret[1])
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	listed, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(listed), `"name": "laptop"`) {
		t.Fatalf("the new token does not work: %d %s", resp.StatusCode, listed)
	}
	if page := get(t, c, env.URL+"/account"); strings.Contains(page, secret[1]) || !strings.Contains(page, "laptop") {
		t.Errorf("the account page shows the secret again, or not the token's name")
	}
	id := regexp.MustCompile(`"id": "([^"]+)",\s*"user": "reviewer",\s*"name": "laptop"`).FindStringSubmatch(string(listed))
	if id == nil {
		t.Fatalf("no id for the token in %s", listed)
	}
	if status, loc, _ := postForm(t, env, c, "/ui/account/tokens/"+id[1]+"/revoke", "/account", url.Values{"csrf": {csrf}}); status != http.StatusSeeOther || !strings.Contains(loc, "revoked") {
		t.Fatalf("revoking: %d to %s", status, loc)
	}
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a revoked token: %d, want 401", resp.StatusCode)
	}
	// A token id one does not have is not found.
	if status, _, _ := postForm(t, env, c, "/ui/account/tokens/nope/revoke", "/account", url.Values{"csrf": {csrf}}); status != http.StatusNotFound {
		t.Errorf("revoking a token one does not have: %d, want 404", status)
	}
}

// TestPeoplePages: the Czar adds a person and changes a role from the
// people page; others see the list without forms; registering a protocol
// leads to its page, and a reviewer may not.
func TestPeoplePages(t *testing.T) {
	env := newTestEnv(t)
	c, csrf := signIn(t, env, "czar")
	status, loc, _ := postForm(t, env, c, "/ui/users", "/users", url.Values{"csrf": {csrf}, "form": {"user-add"}, "user": {"newbie"}, "role": {"reviewer"}, "email": {"newbie@example.org"}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/users?done=") {
		t.Fatalf("adding a person: %d to %s", status, loc)
	}
	status, _, body := postForm(t, env, c, "/ui/users/newbie/role", "/users", url.Values{"csrf": {csrf}, "form": {"role-newbie"}, "role": {"wizard"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="user-newbie"`) || !strings.Contains(body, "wizard") {
		t.Errorf("an unknown role: %d, want the people page again saying why", status)
	}
	if status, _, _ := postForm(t, env, c, "/ui/users/newbie/role", "/users", url.Values{"csrf": {csrf}, "role": {"maintainer"}}); status != http.StatusSeeOther {
		t.Errorf("changing a role: %d", status)
	}
	if page := get(t, c, env.URL+"/users"); !strings.Contains(page, `id="user-newbie"`) || !strings.Contains(page, `<span class="role role-maintainer">maintainer</span></td>`) {
		t.Errorf("the people page does not show newbie as a maintainer")
	}
	rc, rcsrf := signIn(t, env, "reviewer")
	if page := get(t, rc, env.URL+"/users"); strings.Contains(page, `action="/ui/users`) || !strings.Contains(page, `id="user-newbie"`) {
		t.Errorf("a reviewer's people page has forms, or lacks the list")
	}
	if resp, err := rc.Get(env.URL + "/register"); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a reviewer opening /register: %v %v, want 403", resp.StatusCode, err)
	}
	if page := get(t, rc, env.URL+"/"); strings.Contains(page, `href="/register"`) {
		t.Errorf("a reviewer is offered to register")
	}
	if status, _, _ := postForm(t, env, rc, "/ui/protocols", "/register", url.Values{"csrf": {rcsrf}, "protocol": {"x"}, "title": {"X"}}); status != http.StatusForbidden {
		t.Errorf("a reviewer registering: %d, want 403", status)
	}
	ac, acsrf := signIn(t, env, "author")
	if page := get(t, ac, env.URL+"/register"); !strings.Contains(page, `id="register-form"`) || strings.Contains(page, `name="stage"`) {
		t.Errorf("the register page of a contributor lacks its form, or offers an import")
	}
	status, loc, _ = postForm(t, env, ac, "/ui/protocols", "/register", url.Values{"csrf": {acsrf}, "form": {"register"}, "protocol": {"cameraif"}, "title": {"PV camera"}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/protocols/cameraif?done=") {
		t.Errorf("registering: %d to %s, want the new protocol's page", status, loc)
	}
	status, _, body = postForm(t, env, ac, "/ui/protocols", "/register", url.Values{"csrf": {acsrf}, "form": {"register"}, "protocol": {"cameraif"}, "title": {"PV camera again"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "exists already") || !strings.Contains(body, `value="PV camera again"`) {
		t.Errorf("registering twice: %d, want the form again with the title kept and why", status)
	}
}
