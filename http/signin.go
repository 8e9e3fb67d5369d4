package http

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
)

func (s *Server) pageSignIn(w http.ResponseWriter, r *http.Request) {
	reg, _, err := s.registry(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderSignIn(w, r, reg, http.StatusOK, "")
}

// renderSignIn shows the form with a fresh double-submit CSRF secret.
func (s *Server) renderSignIn(w http.ResponseWriter, r *http.Request, reg *pvczar.Registry, status int, problem string) {
	csrf := randomSecret()
	s.setCookie(w, r, signInCookie, csrf, 0)
	v := s.newView(r, reg, "Sign in", "signin", map[string]string{"Next": safeNext(r.FormValue("next"))})
	v.CSRF = csrf
	if problem != "" {
		v.Problem = problem
	}
	s.pages.render(w, status, "signin.html", v)
}

// safeNext keeps a redirect target on this site.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if next == "" || err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, `\`) {
		return "/"
	}
	return next
}

// signIn checks a user name with a password, or a token alone, and starts a
// session. Attempts are limited per client address and per user name.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := r.Cookie(signInCookie)
	form := r.PostFormValue("csrf")
	if err != nil || form == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) != 1 {
		s.fail(w, r, &statusError{http.StatusForbidden, "the sign-in form is missing its security token (are cookies enabled?): reload the page and try again"})
		return
	}
	user, password, token := strings.TrimSpace(r.PostFormValue("user")), r.PostFormValue("password"), strings.TrimSpace(r.PostFormValue("token"))
	keys := []string{"addr:" + clientAddr(r)}
	if user != "" {
		keys = append(keys, "user:"+user)
	}
	if ok, wait := s.signIns.allow(time.Now(), keys...); !ok {
		s.metrics.add("pvczar_signin_limited_total", 1)
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		s.fail(w, r, &statusError{http.StatusTooManyRequests, fmt.Sprintf("too many sign-in attempts: try again in %d seconds", int(wait.Seconds())+1)})
		return
	}
	var tokenID string
	switch {
	case token != "":
		var tok pvczar.Token
		tok, err = s.creds.Authenticate(r.Context(), token, s.now())
		user, tokenID = tok.User, tok.ID
	case user != "" && password != "":
		err = s.creds.CheckPassword(r.Context(), user, password)
	default:
		err = pvczar.Errorf(pvczar.EINVALID, "give your user name and password, or a token")
	}
	reg, regErr := s.svc.Registry(r.Context(), s.now())
	if err == nil && regErr == nil && reg.Users[user] == nil {
		err = pvczar.Errorf(pvczar.EUNAUTHORIZED, "unknown user or wrong password")
	}
	if err != nil || regErr != nil {
		if regErr != nil {
			s.fail(w, r, regErr)
			return
		}
		s.metrics.add("pvczar_signin_failures_total", 1)
		s.log.Warn("sign-in failed", "user", user, "remote", clientAddr(r), "reason", pvczar.ErrorMessage(err))
		status, _, msg := statusOf(err)
		s.renderSignIn(w, r, reg, status, msg)
		return
	}
	secret, sess, err := s.creds.CreateSession(r.Context(), user, tokenID, s.now(), s.opts.SessionTTL)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setCookie(w, r, sessionCookie, secret, sess.Expires.Sub(s.now()))
	s.setCookie(w, r, signInCookie, "", 0)
	s.log.Info("signed in", "user", user, "remote", clientAddr(r))
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	id := identityOf(r.Context())
	if id.session != nil {
		if err := r.ParseForm(); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := checkCSRF(r); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.creds.EndSession(r.Context(), id.sessionSecret); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.setCookie(w, r, sessionCookie, "", 0)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
