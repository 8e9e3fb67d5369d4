package http

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// The pages of people: registering a protocol, the Czar's users and roles,
// and each person's own account (their mail address, password and API
// tokens).

func (s *Server) registerPeoplePages() {
	s.handle("GET", "/register", s.pageRegister)
	s.handle("GET", "/users", s.pageUsers)
	s.handle("GET", "/account", s.pageAccount)
	s.handle("POST", "/ui/account/password", s.formPassword)
	s.handle("POST", "/ui/account/tokens", s.formCreateToken)
	s.handle("POST", "/ui/account/tokens/{id}/revoke", s.formRevokeToken)
}

// signedIn returns the evaluation and the page's view for a page that only
// a signed-in person may see; else it answers and returns nil.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, title, nav string) (*pvczar.Registry, *view) {
	if _, err := requireUser(r); err != nil {
		s.fail(w, r, err)
		return nil, nil
	}
	reg, _, err := s.registry(r)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil
	}
	v := s.newView(r, reg, title, nav, nil)
	return reg, &v
}

func (s *Server) pageRegister(w http.ResponseWriter, r *http.Request) {
	_, v := s.signedIn(w, r, "Register a protocol", "board")
	if v == nil {
		return
	}
	if err := pvczar.Permit(v.User, nil, pvczar.EventProtocolRegistered); err != nil {
		s.fail(w, r, err)
		return
	}
	v.Data = map[string]any{"Czar": v.User.Role == pvczar.RoleCzar, "Stages": []pvczar.Stage{pvczar.StagePrototype, pvczar.StageProduction}}
	s.pages.render(w, http.StatusOK, "register.html", *v)
}

func (s *Server) pageUsers(w http.ResponseWriter, r *http.Request) {
	reg, v := s.signedIn(w, r, "People and roles", "users")
	if v == nil {
		return
	}
	users := make([]*pvczar.User, 0, len(reg.Users))
	for _, u := range reg.Users {
		users = append(users, u)
	}
	slices.SortFunc(users, func(a, b *pvczar.User) int { return strings.Compare(a.Name, b.Name) })
	v.Data = map[string]any{"Users": users, "Czar": pvczar.Permit(v.User, nil, pvczar.EventUserAdded) == nil,
		"Roles": []pvczar.Role{pvczar.RoleCzar, pvczar.RoleMaintainer, pvczar.RoleContributor, pvczar.RoleReviewer, pvczar.RoleReader}}
	s.pages.render(w, http.StatusOK, "users.html", *v)
}

// accountData is what a person's own page shows.
type accountData struct {
	Tokens []pvczar.Token
	// Created is the secret of the token just created, shown once.
	Created string
}

func (s *Server) pageAccount(w http.ResponseWriter, r *http.Request) {
	s.renderAccount(w, r, http.StatusOK, "")
}

// renderAccount shows the signed-in person's page, with the secret of a
// token just created (it is never shown again).
func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, created string) {
	_, v := s.signedIn(w, r, "Your account", "account")
	if v == nil {
		return
	}
	toks, err := s.creds.Tokens(r.Context(), v.User.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	slices.Reverse(toks) // newest first
	v.Data = accountData{Tokens: toks, Created: created}
	s.pages.render(w, status, "account.html", *v)
}

// accountForm checks a form of the account page: signed in, with its CSRF
// token. It returns the person, or answers and returns "".
func (s *Server) accountForm(w http.ResponseWriter, r *http.Request) string {
	user, err := requireUser(r)
	if err == nil {
		if err = r.ParseForm(); err == nil {
			err = checkCSRF(r)
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return ""
	}
	return user
}

func (s *Server) formPassword(w http.ResponseWriter, r *http.Request) {
	user := s.accountForm(w, r)
	if user == "" {
		return
	}
	password := r.PostFormValue("password")
	if password != r.PostFormValue("again") {
		s.accountRefused(w, r, "password", pvczar.Errorf(pvczar.EINVALID, "the two passwords differ"))
		return
	}
	if err := s.creds.SetPassword(r.Context(), user, password); err != nil {
		s.accountRefused(w, r, "password", err)
		return
	}
	s.log.Info("password set from the web", "user", user)
	http.Redirect(w, r, "/account?done="+url.QueryEscape("your password is set"), http.StatusSeeOther)
}

// maxTokenDays bounds a token's life, as the form says (ten years).
const maxTokenDays = 3650

func (s *Server) formCreateToken(w http.ResponseWriter, r *http.Request) {
	user := s.accountForm(w, r)
	if user == "" {
		return
	}
	days := 0
	if v := strings.TrimSpace(r.PostFormValue("ttl_days")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxTokenDays {
			s.accountRefused(w, r, "token", pvczar.Errorf(pvczar.EINVALID, "ttl_days: want 0 (no expiry) to %d, got %q", maxTokenDays, v))
			return
		}
		days = n
	}
	secret, _, err := s.creds.CreateToken(r.Context(), user, strings.TrimSpace(r.PostFormValue("name")), s.now(), time.Duration(days)*pvczar.Day)
	if err != nil {
		s.accountRefused(w, r, "token", err)
		return
	}
	// The page with the secret is answered at once, not redirected to:
	// the secret is in no URL and no history.
	w.Header().Set("Cache-Control", "no-store")
	s.renderAccount(w, r, http.StatusCreated, secret)
}

func (s *Server) formRevokeToken(w http.ResponseWriter, r *http.Request) {
	user := s.accountForm(w, r)
	if user == "" {
		return
	}
	id := r.PathValue("id")
	if err := s.revokeToken(r, user, id); err != nil {
		if pvczar.ErrorCode(err) == pvczar.ENOTFOUND {
			s.fail(w, r, err)
			return
		}
		s.accountRefused(w, r, "tokens", err)
		return
	}
	http.Redirect(w, r, "/account?done="+url.QueryEscape("token "+id+" revoked"), http.StatusSeeOther)
}

// accountRefused shows the account page again with the reason beside the
// form; a password is never written back into the page.
func (s *Server) accountRefused(w http.ResponseWriter, r *http.Request, form string, err error) {
	values := url.Values{}
	for k, v := range r.PostForm {
		if k != "password" && k != "again" && k != "csrf" {
			values[k] = v
		}
	}
	r.PostForm = values
	r.PostForm.Set("form", form)
	s.formRefused(w, r, err, "/account")
}
