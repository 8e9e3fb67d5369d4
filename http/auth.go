package http

import (
	"container/list"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// Cookie names.
const (
	sessionCookie = "pvczar_session"
	// signInCookie carries the CSRF secret of the sign-in form, which has no
	// session yet (double-submit: the form must carry the same value).
	signInCookie = "pvczar_signin"
)

// actAsHeader carries who an API client means to act as (the CLI's --as):
// a request whose token is someone else's is refused, never recorded as
// the token's user in their place.
const actAsHeader = "Pvczar-As"

// identity is who a request comes from.
type identity struct {
	user          string
	session       *pvczar.Session // set for a signed-in browser
	sessionSecret string
	// sessionProblem says why a presented session cookie was not accepted
	// (expired, signed out), to tell the user.
	sessionProblem string
}

type identityKey struct{}

func identityOf(ctx context.Context) identity {
	id, _ := ctx.Value(identityKey{}).(identity)
	return id
}

func userOf(ctx context.Context) string { return identityOf(ctx).user }

// identify finds who the request comes from: an API request by its bearer
// token (cookies are ignored there, so no cross-site form can use the API),
// a page request by its session cookie. A bad token is refused at once
// (nil is returned after the error is written); a bad session cookie makes
// the request anonymous and is remembered, to say so.
func (s *Server) identify(w http.ResponseWriter, r *http.Request) *http.Request {
	var id identity
	if isAPI(r) {
		if h := r.Header.Get("Authorization"); h != "" {
			tok, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				s.fail(w, r, pvczar.Errorf(pvczar.EUNAUTHORIZED, "the Authorization header must be \"Bearer <token>\""))
				return nil
			}
			token, err := s.creds.Authenticate(r.Context(), strings.TrimSpace(tok), s.now())
			if err != nil {
				s.fail(w, r, err)
				return nil
			}
			id.user = token.User
		}
		if as := r.Header.Get(actAsHeader); as != "" && as != id.user {
			if id.user == "" {
				s.fail(w, r, pvczar.Errorf(pvczar.EUNAUTHORIZED, "acting as %q needs a token of %s (--token)", as, as))
			} else {
				s.fail(w, r, pvczar.Errorf(pvczar.EFORBIDDEN, "the token is %s's; it cannot act as %q (drop --as, or use %s's token)", id.user, as, as))
			}
			return nil
		}
	} else if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		sess, err := s.creds.Session(r.Context(), c.Value, s.now())
		if err != nil {
			if pvczar.ErrorCode(err) != pvczar.EUNAUTHORIZED {
				s.fail(w, r, err)
				return nil
			}
			id.sessionProblem = pvczar.ErrorMessage(err)
		} else {
			id.user, id.session, id.sessionSecret = sess.User, &sess, c.Value
		}
	}
	return r.WithContext(context.WithValue(r.Context(), identityKey{}, id))
}

// requireUser returns the identified user, or an EUNAUTHORIZED error that
// says how to identify.
func requireUser(r *http.Request) (string, error) {
	id := identityOf(r.Context())
	if id.user != "" {
		return id.user, nil
	}
	if id.sessionProblem != "" {
		return "", pvczar.Errorf(pvczar.EUNAUTHORIZED, "%s", id.sessionProblem)
	}
	if isAPI(r) {
		return "", pvczar.Errorf(pvczar.EUNAUTHORIZED, "this needs a token: send \"Authorization: Bearer <token>\" (create one with `pvczar token create`)")
	}
	return "", pvczar.Errorf(pvczar.EUNAUTHORIZED, "sign in first")
}

// checkCSRF checks the form's CSRF token against the session's.
func checkCSRF(r *http.Request) error {
	id := identityOf(r.Context())
	if id.session == nil {
		return nil // requireUser refuses the request
	}
	got := r.PostFormValue("csrf")
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(id.session.CSRF)) != 1 {
		return &statusError{http.StatusForbidden, "the form is missing its security token or it does not match your session: reload the page and try again"}
	}
	return nil
}

func randomSecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// setCookie sets a cookie scoped to the whole site, HttpOnly, SameSite=Lax
// (Strict would drop the session when following a link from mail), and
// Secure over TLS.
// A cookie lives maxAge (a duration, not an instant, so that the browser's
// clock does not matter); 0 makes a cookie that ends with the browser.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil || s.opts.SecureCookies}
	if value == "" {
		c.MaxAge = -1
	} else if maxAge > 0 {
		c.MaxAge = int(maxAge.Seconds())
	}
	http.SetCookie(w, c)
}

// limiter is a token bucket per key (a client address, a user name):
// burst attempts, then one per every. It holds at most capacity keys and
// evicts the least recently used: junk keys push out other junk first,
// and a key that is being limited, used at every attempt, stays.
type limiter struct {
	mu       sync.Mutex
	burst    int
	every    time.Duration
	capacity int
	buckets  map[string]*list.Element // of *bucket, most recently used first
	order    *list.List
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time
}

// limiterCapacity is how many keys a limiter remembers.
const limiterCapacity = 100_000

func newLimiter(burst int, every time.Duration, capacity int) *limiter {
	return &limiter{burst: burst, every: every, capacity: capacity, buckets: map[string]*list.Element{}, order: list.New()}
}

// allow takes one attempt for each key and reports whether all had one
// left; when not, it says how long until the next attempt.
func (l *limiter) allow(now time.Time, keys ...string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	found := make([]*bucket, len(keys))
	for i, k := range keys {
		b := l.touch(k, now)
		b.tokens = min(float64(l.burst), b.tokens+float64(now.Sub(b.last))/float64(l.every))
		b.last = now
		if b.tokens < 1 {
			wait = max(wait, time.Duration((1-b.tokens)*float64(l.every)))
		}
		found[i] = b
	}
	if wait > 0 {
		return false, wait
	}
	for _, b := range found {
		b.tokens--
	}
	return true, 0
}

// touch returns key's bucket, new and full if it had none, as the most
// recently used, evicting the least recently used beyond capacity.
func (l *limiter) touch(key string, now time.Time) *bucket {
	if e, ok := l.buckets[key]; ok {
		l.order.MoveToFront(e)
		return e.Value.(*bucket)
	}
	b := &bucket{key: key, tokens: float64(l.burst), last: now}
	l.buckets[key] = l.order.PushFront(b)
	for l.order.Len() > l.capacity {
		oldest := l.order.Back()
		l.order.Remove(oldest)
		delete(l.buckets, oldest.Value.(*bucket).key)
	}
	return b
}

// clientAddr is the address a request came from (without the port).
func clientAddr(r *http.Request) string { return hostOf(r.RemoteAddr) }

// hostOf is an address without its port.
func hostOf(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}
