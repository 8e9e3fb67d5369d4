package http_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
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
