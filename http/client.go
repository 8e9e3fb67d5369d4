package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// Client talks to a pvczar server. It offers the same pvczar.Service as a
// store, and manages credentials, so the CLI runs unchanged against either.
// Commands act as the token's user at the server's time.
type Client struct {
	// As is who the caller means to act as (the CLI's --as); when set, it
	// goes with every request, and the server refuses the request unless it
	// is the token's user.
	As    string
	base  string
	token string
	http  *http.Client
}

var (
	_ pvczar.Service         = (*Client)(nil)
	_ pvczar.CredentialAdmin = (*Client)(nil)
)

// NewClient returns a client of the server at base (e.g. http://host:8080)
// that identifies with token ("" for reads only).
func NewClient(base, token string) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, pvczar.Errorf(pvczar.EINVALID, "server %q: want a URL like http://127.0.0.1:8080", base)
	}
	return &Client{base: strings.TrimSuffix(base, "/"), token: token, http: &http.Client{Timeout: time.Minute}}, nil
}

// do sends a request and decodes a JSON answer into out; an error answer
// becomes a *pvczar.Error with the server's code and message.
func (c *Client) do(ctx context.Context, method, path string, header http.Header, body, out any) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+apiPrefix+path, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.As != "" {
		req.Header.Set(actAsHeader, c.As)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, pvczar.Errorf(pvczar.EINTERNAL, "server %s: %v", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		var eb errorBody
		if json.Unmarshal(data, &eb) != nil || eb.Error.Message == "" {
			return nil, fmt.Errorf("server %s: %s %s: %s", c.base, method, path, resp.Status)
		}
		code := eb.Error.Code
		switch code {
		case pvczar.EINVALID, pvczar.ENOTFOUND, pvczar.ECONFLICT, pvczar.ESTALE, pvczar.EUNAUTHORIZED, pvczar.EFORBIDDEN:
		default:
			return nil, fmt.Errorf("server %s: %s", c.base, eb.Error.Message)
		}
		return nil, pvczar.Errorf(code, "%s", eb.Error.Message)
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("server %s: %s %s: bad answer: %w", c.base, method, path, err)
		}
	}
	return resp.Header, nil
}

// Act implements pvczar.Service by the command's route. The server records
// the command as the token's user, at its own time: a command with a time,
// or with an actor other than As, is refused rather than silently changed.
func (c *Client) Act(ctx context.Context, cmd pvczar.Event) (pvczar.Event, error) {
	if !cmd.At.IsZero() {
		return pvczar.Event{}, pvczar.Errorf(pvczar.EINVALID, "a server records writes at its own time; the command's time %s cannot be sent", pvczar.FormatUTC(cmd.At))
	}
	if cmd.Actor != "" && cmd.Actor != c.As {
		return pvczar.Event{}, pvczar.Errorf(pvczar.EINVALID, "a server records writes as the token's user; set Client.As to %q to act as them", cmd.Actor)
	}
	rt, ok := routeFor(cmd.Type)
	if !ok {
		return pvczar.Event{}, pvczar.Errorf(pvczar.EINVALID, "%s cannot be sent to a server", cmd.Type)
	}
	full, err := json.Marshal(cmd.Data)
	if err != nil {
		return pvczar.Event{}, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(full, &all); err != nil {
		return pvczar.Event{}, err
	}
	body := map[string]json.RawMessage{}
	inPath := params(rt.Path)
	for f, v := range all {
		switch {
		case slices.Contains(rt.Fields, f):
			body[f] = v
		case !slices.Contains(inPath, f):
			// Never drop what the caller meant: a server does not take it.
			return pvczar.Event{}, pvczar.Errorf(pvczar.EINVALID, "%s %s takes no field %q", rt.Method, apiPrefix+rt.Path, f)
		}
	}
	path := rt.Path
	for _, p := range params(rt.Path) {
		var v string
		switch p {
		case "user":
			v = cmd.Data.User
		case "protocol":
			v = cmd.Data.Protocol
		case "proposal":
			v = cmd.Data.Proposal
		case "objection":
			v = cmd.Data.Objection
		case "issue":
			v = strconv.Itoa(cmd.Data.Issue)
		}
		path = strings.Replace(path, "{"+p+"}", url.PathEscape(v), 1)
	}
	header := http.Header{}
	if cmd.Version != 0 {
		header.Set("If-Match", etag(cmd.Version))
	}
	var e pvczar.Event
	_, err = c.do(ctx, rt.Method, path, header, body, &e)
	return e, err
}

// Tick implements pvczar.Service. A tick that writes runs at the server's
// own time, so now is sent only with a dry run ("what if it were then").
func (c *Client) Tick(ctx context.Context, now time.Time, dryRun bool) ([]pvczar.Event, error) {
	var out struct {
		Events []pvczar.Event `json:"events"`
	}
	req := tickRequest{DryRun: dryRun}
	if dryRun && !now.IsZero() {
		req.Now = &now
	}
	_, err := c.do(ctx, "POST", "/tick", nil, req, &out)
	return out.Events, err
}

// Registry implements pvczar.Service.
func (c *Client) Registry(ctx context.Context, now time.Time) (*pvczar.Registry, error) {
	reg := pvczar.NewRegistry(pvczar.DefaultConfig())
	h, err := c.do(ctx, "GET", "/registry?now="+url.QueryEscape(now.UTC().Format(time.RFC3339)), nil, nil, reg)
	if err != nil {
		return nil, err
	}
	for _, v := range strings.Split(h.Get(versionsHeader), ",") {
		id, n, _ := strings.Cut(strings.TrimSpace(v), "=")
		if p := reg.Protocols[id]; p != nil {
			p.LogVersion, _ = strconv.Atoi(n)
		}
	}
	return reg, nil
}

// Events implements pvczar.Service, following the pages.
func (c *Client) Events(ctx context.Context, f pvczar.EventFilter) ([]pvczar.Event, error) {
	q := url.Values{}
	if f.Newest {
		q.Set("order", "newest")
	}
	if f.Stream != "" {
		q.Set("protocol", strings.TrimPrefix(f.Stream, "protocol:"))
	}
	if f.Proposal != "" {
		q.Set("proposal", f.Proposal)
	}
	after, before := f.AfterSeq, f.Before
	var all []pvczar.Event
	for {
		q.Set("after", strconv.FormatInt(after, 10))
		q.Set("before", strconv.FormatInt(before, 10))
		q.Set("limit", strconv.Itoa(maxPageSize))
		var p page[pvczar.Event]
		if _, err := c.do(ctx, "GET", "/events?"+q.Encode(), nil, nil, &p); err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if f.Limit > 0 && len(all) >= f.Limit {
			return all[:f.Limit], nil
		}
		if p.Next == "" {
			return all, nil
		}
		if f.Newest {
			before = p.Items[len(p.Items)-1].Seq
		} else {
			after = p.Items[len(p.Items)-1].Seq
		}
	}
}

// Verify implements pvczar.Service (the Czar only).
func (c *Client) Verify(ctx context.Context) ([]string, error) {
	var out struct {
		Differences []string `json:"differences"`
	}
	_, err := c.do(ctx, "GET", "/audit", nil, nil, &out)
	return out.Differences, err
}

// Config implements pvczar.Service: the server's numbers.
func (c *Client) Config(ctx context.Context) (pvczar.Config, error) {
	var out pvczar.RuleNumbers
	_, err := c.do(ctx, "GET", "/rules", nil, nil, &out)
	return out.Config, err
}

// CreateToken implements pvczar.CredentialAdmin; the server's clock counts.
func (c *Client) CreateToken(ctx context.Context, user, name string, now time.Time, ttl time.Duration) (string, pvczar.Token, error) {
	var out CreatedToken
	_, err := c.do(ctx, "POST", "/tokens", nil, tokenRequest{User: user, Name: name, TTLDays: int(ttl / pvczar.Day)}, &out)
	return out.Secret, out.Token, err
}

// Tokens implements pvczar.CredentialAdmin ("" lists everyone's).
func (c *Client) Tokens(ctx context.Context, user string) ([]pvczar.Token, error) {
	if user == "" {
		user = "*"
	}
	var out page[pvczar.Token]
	_, err := c.do(ctx, "GET", "/tokens?user="+url.QueryEscape(user), nil, nil, &out)
	return out.Items, err
}

// RevokeToken implements pvczar.CredentialAdmin.
func (c *Client) RevokeToken(ctx context.Context, id string, now time.Time) error {
	_, err := c.do(ctx, "DELETE", "/tokens/"+url.PathEscape(id), nil, nil, nil)
	return err
}

// SetPassword implements pvczar.CredentialAdmin.
func (c *Client) SetPassword(ctx context.Context, user, password string) error {
	_, err := c.do(ctx, "PUT", "/users/"+url.PathEscape(user)+"/password", nil, passwordRequest{Password: password}, nil)
	return err
}
