package sqlstore

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
)

var _ pvczar.Credentials = (*Store)(nil)

// Password hashing: PBKDF2-HMAC-SHA256 with OWASP's 2023 iteration count.
const (
	passwordIterations = 600_000
	passwordMinLength  = 12
	tokenPrefix        = "pvz_"
)

// secret returns a random secret of 32 bytes, URL-safe.
func secret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret hashes a high-entropy secret (a token or a session id); a fast
// hash suffices because such secrets cannot be guessed.
func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func (s *Store) requireUser(ctx context.Context, user string) error {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	if err := s.catchUp(ctx, s.read); err != nil {
		return err
	}
	if _, ok := s.cache.reg.Users[user]; !ok {
		return pvczar.Errorf(pvczar.ENOTFOUND, "unknown user %q", user)
	}
	return nil
}

// CreateToken implements pvczar.Credentials.
func (s *Store) CreateToken(ctx context.Context, user, name string, now time.Time, ttl time.Duration) (string, pvczar.Token, error) {
	if err := s.requireUser(ctx, user); err != nil {
		return "", pvczar.Token{}, err
	}
	if strings.TrimSpace(name) == "" || len(name) > 100 {
		return "", pvczar.Token{}, pvczar.Errorf(pvczar.EINVALID, "a token needs a name of 1 to 100 characters saying what it is for")
	}
	if ttl < 0 {
		return "", pvczar.Token{}, pvczar.Errorf(pvczar.EINVALID, "a token's lifetime cannot be negative")
	}
	id := make([]byte, 6)
	rand.Read(id)
	t := pvczar.Token{ID: hex.EncodeToString(id), User: user, Name: name, Created: now.UTC()}
	expires := ""
	if ttl > 0 {
		e := now.Add(ttl).UTC()
		t.Expires, expires = &e, formatTime(e)
	}
	sec := tokenPrefix + secret()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO tokens (id, hash, username, name, created, expires) VALUES (?, ?, ?, ?, ?, ?)`),
			t.ID, hashSecret(sec), user, name, formatTime(now), expires)
		return err
	})
	if err != nil {
		return "", pvczar.Token{}, err
	}
	return sec, t, nil
}

// Tokens implements pvczar.Credentials.
func (s *Store) Tokens(ctx context.Context, user string) ([]pvczar.Token, error) {
	query := `SELECT id, username, name, created, expires, revoked, last_used FROM tokens`
	var args []any
	if user != "" {
		query, args = query+` WHERE username = ?`, append(args, user)
	}
	rows, err := s.read.QueryContext(ctx, s.q(query+` ORDER BY created, id`), args...)
	if err != nil {
		return nil, s.describe(err)
	}
	defer rows.Close()
	out := []pvczar.Token{}
	for rows.Next() {
		var t pvczar.Token
		var created, expires, revoked, used string
		if err := rows.Scan(&t.ID, &t.User, &t.Name, &created, &expires, &revoked, &used); err != nil {
			return nil, err
		}
		t.Created, _ = time.Parse(time.RFC3339, created)
		t.Expires, t.Revoked, t.LastUsed = optionalTime(expires), optionalTime(revoked), optionalTime(used)
		out = append(out, t)
	}
	return out, rows.Err()
}

func optionalTime(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil
	}
	return &t
}

// RevokeToken implements pvczar.Credentials.
func (s *Store) RevokeToken(ctx context.Context, id string, now time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var revoked string
		err := tx.QueryRowContext(ctx, s.q(`SELECT revoked FROM tokens WHERE id = ?`), id).Scan(&revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return pvczar.Errorf(pvczar.ENOTFOUND, "unknown token %q", id)
		}
		if err != nil {
			return err
		}
		if revoked != "" {
			return pvczar.Errorf(pvczar.ECONFLICT, "token %s was already revoked at %s", id, revoked)
		}
		if _, err = tx.ExecContext(ctx, s.q(`UPDATE tokens SET revoked = ? WHERE id = ?`), formatTime(now), id); err != nil {
			return err
		}
		// The web sessions the token started end with it.
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE token_id = ?`), id)
		return err
	})
}

var errBadToken = pvczar.Errorf(pvczar.EUNAUTHORIZED, "the token is unknown, revoked or expired")

// Authenticate implements pvczar.Credentials.
func (s *Store) Authenticate(ctx context.Context, sec string, now time.Time) (pvczar.Token, error) {
	var t pvczar.Token
	if !strings.HasPrefix(sec, tokenPrefix) {
		return t, errBadToken
	}
	var expires, revoked string
	err := s.read.QueryRowContext(ctx, s.q(`SELECT id, username, expires, revoked FROM tokens WHERE hash = ?`), hashSecret(sec)).Scan(&t.ID, &t.User, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return t, errBadToken
	}
	if err != nil {
		return t, s.describe(err)
	}
	if revoked != "" {
		return t, errBadToken
	}
	if t.Expires = optionalTime(expires); t.Expires != nil && !now.Before(*t.Expires) {
		return t, errBadToken
	}
	return t, nil
}

// SetPassword implements pvczar.Credentials.
func (s *Store) SetPassword(ctx context.Context, user, password string) error {
	if err := s.requireUser(ctx, user); err != nil {
		return err
	}
	if len([]rune(password)) < passwordMinLength {
		return pvczar.Errorf(pvczar.EINVALID, "a password needs at least %d characters", passwordMinLength)
	}
	if len(password) > 1024 {
		return pvczar.Errorf(pvczar.EINVALID, "a password may have at most 1024 bytes")
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	key, err := pbkdf2.Key(sha256.New, password, salt, passwordIterations, 32)
	if err != nil {
		return err
	}
	stored := fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", passwordIterations, base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM passwords WHERE username = ?`), user); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO passwords (username, hash) VALUES (?, ?)`), user, stored)
		return err
	})
}

var errBadPassword = pvczar.Errorf(pvczar.EUNAUTHORIZED, "unknown user or wrong password")

// CheckPassword implements pvczar.Credentials. An unknown user costs the same
// time as a wrong password, so timing does not tell which users exist.
func (s *Store) CheckPassword(ctx context.Context, user, password string) error {
	var stored string
	err := s.read.QueryRowContext(ctx, s.q(`SELECT hash FROM passwords WHERE username = ?`), user).Scan(&stored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return s.describe(err)
	}
	parts := strings.Split(stored, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" || len(password) > 1024 {
		pbkdf2.Key(sha256.New, password, []byte("pvczar-no-such-user"), passwordIterations, 32)
		return errBadPassword
	}
	iter, err1 := strconv.Atoi(parts[1])
	salt, err2 := base64.RawStdEncoding.DecodeString(parts[2])
	want, err3 := base64.RawStdEncoding.DecodeString(parts[3])
	if err := errors.Join(err1, err2, err3); err != nil || iter < 1 {
		return fmt.Errorf("password of %s: damaged hash", user)
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return errBadPassword
	}
	return nil
}

// CreateSession implements pvczar.Credentials.
func (s *Store) CreateSession(ctx context.Context, user, tokenID string, now time.Time, ttl time.Duration) (string, pvczar.Session, error) {
	sec := secret()
	sess := pvczar.Session{User: user, Token: tokenID, CSRF: secret(), Expires: now.Add(ttl).UTC()}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// Sign-ins are rare: this is a good moment to forget expired sessions.
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE expires < ?`), formatTime(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO sessions (hash, username, token_id, csrf, expires) VALUES (?, ?, ?, ?, ?)`),
			hashSecret(sec), user, tokenID, sess.CSRF, formatTime(sess.Expires))
		return err
	})
	if err != nil {
		return "", pvczar.Session{}, err
	}
	return sec, sess, nil
}

// Session implements pvczar.Credentials.
func (s *Store) Session(ctx context.Context, sec string, now time.Time) (pvczar.Session, error) {
	var sess pvczar.Session
	var expires string
	err := s.read.QueryRowContext(ctx, s.q(`SELECT username, token_id, csrf, expires FROM sessions WHERE hash = ?`), hashSecret(sec)).Scan(&sess.User, &sess.Token, &sess.CSRF, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return sess, pvczar.Errorf(pvczar.EUNAUTHORIZED, "you are not signed in (or you signed out)")
	}
	if err != nil {
		return sess, s.describe(err)
	}
	sess.Expires, _ = time.Parse(time.RFC3339, expires)
	if !now.Before(sess.Expires) {
		return sess, pvczar.Errorf(pvczar.EUNAUTHORIZED, "your session expired at %s: sign in again", pvczar.FormatUTC(sess.Expires))
	}
	return sess, nil
}

// EndSession implements pvczar.Credentials.
func (s *Store) EndSession(ctx context.Context, sec string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE hash = ?`), hashSecret(sec))
		return err
	})
}
