package pvczar

import (
	"context"
	"time"
)

// Token is an API token, as listed; its secret is shown once, when created,
// and only its hash is stored.
type Token struct {
	ID       string     `json:"id"`
	User     string     `json:"user"`
	Name     string     `json:"name"`
	Created  time.Time  `json:"created"`
	Expires  *time.Time `json:"expires,omitempty"`
	Revoked  *time.Time `json:"revoked,omitempty"`
	LastUsed *time.Time `json:"last_used,omitempty"`
}

// Session is a signed-in browser.
type Session struct {
	User string `json:"user"`
	// Token is the id of the token the session was started with ("" for a
	// password); revoking the token ends the session.
	Token   string    `json:"token,omitempty"`
	CSRF    string    `json:"-"` // the token every form of this session must carry
	Expires time.Time `json:"expires"`
}

// Credentials keeps what proves who someone is: API tokens, passwords and
// web sessions. Secrets are stored only as hashes. Callers decide who may
// manage whose credentials (see Registry.MayManageCredentials).
type Credentials interface {
	CredentialAdmin
	Authenticator
}

// CredentialAdmin manages tokens and passwords; a remote client offers it too.
type CredentialAdmin interface {
	// CreateToken makes a token for user and returns its secret, which is
	// never shown again. Errors: ENOTFOUND (no such user), EINVALID.
	CreateToken(ctx context.Context, user, name string, now time.Time, ttl time.Duration) (secret string, t Token, err error)
	// Tokens lists the tokens of user, or of everyone when user is "".
	Tokens(ctx context.Context, user string) ([]Token, error)
	// RevokeToken revokes a token by id. Errors: ENOTFOUND, ECONFLICT
	// (already revoked).
	RevokeToken(ctx context.Context, id string, now time.Time) error
	// SetPassword sets user's password for web sign-in (hashed with a slow
	// KDF). Errors: ENOTFOUND, EINVALID (too short).
	SetPassword(ctx context.Context, user, password string) error
}

// Authenticator tells who presents a secret: a token, a password or a
// session cookie.
type Authenticator interface {
	// Authenticate returns the token of a secret (its id and user).
	// Errors: EUNAUTHORIZED (unknown, revoked or expired).
	Authenticate(ctx context.Context, secret string, now time.Time) (Token, error)
	// CheckPassword returns nil when password is user's. Errors: EUNAUTHORIZED.
	CheckPassword(ctx context.Context, user, password string) error
	// CreateSession signs user in, with the token of id tokenID or ("")
	// a password, and returns the cookie's secret.
	CreateSession(ctx context.Context, user, tokenID string, now time.Time, ttl time.Duration) (secret string, s Session, err error)
	// Session returns the session of a cookie secret. Errors: EUNAUTHORIZED
	// (unknown or expired; the message says which).
	Session(ctx context.Context, secret string, now time.Time) (Session, error)
	// EndSession signs a session out; an unknown secret is not an error.
	EndSession(ctx context.Context, secret string) error
}

// MayManageCredentials tells whether actor may create, list or revoke the
// tokens or set the password of user: everyone for themselves, the Czar for
// anyone. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (r *Registry) MayManageCredentials(actor, user string) error {
	a := r.Users[actor]
	if a == nil {
		return Errorf(EUNAUTHORIZED, "nobody known is identified (%q)", actor)
	}
	if _, ok := r.Users[user]; !ok {
		return Errorf(ENOTFOUND, "unknown user %q", user)
	}
	if actor != user && a.Role != RoleCzar {
		return Errorf(EFORBIDDEN, "%s may not manage the credentials of %s: only the Czar manages other people's", actor, user)
	}
	return nil
}
