package http

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/xen-pvczar/pvczar"
)

// apiOperation describes one route of the API that is not a command.
type apiOperation struct {
	ID                    string // operationId: camelCase, no dot (a command's is its event type)
	Method, Path, Summary string
	Query                 []string // query parameters
	Auth                  string   // "", "user" or "czar"
	Body                  any      // a value of the request body's type
	Status                int      // the success status (default 200)
	Conflict              string   // when it answers 409, if it can
}

var apiOperations = []apiOperation{
	{ID: "getOpenAPI", Method: "GET", Path: "/openapi.json", Summary: "This document."},
	{ID: "getStatus", Method: "GET", Path: "/status", Summary: "Where every protocol stands, and the Czar's queue.", Query: []string{"now"}},
	{ID: "getDigest", Method: "GET", Path: "/digest", Summary: "The plain-text digest for xen-devel, as {\"digest\": text}.", Query: []string{"now"}},
	{ID: "getRegistry", Method: "GET", Path: "/registry", Summary: "The whole state evaluated at now (what the CLI reads through a server). The Pvczar-Versions header gives each protocol's ETag as id=version, comma-separated.", Query: []string{"now"}},
	{ID: "getRules", Method: "GET", Path: "/rules", Summary: "The lifecycle numbers (windows, quorum, lapse, ...) and gates in force."},
	{ID: "listEvents", Method: "GET", Path: "/events", Summary: "The event log in order, a page at a time (next is the after of the next page; with order=newest, its before).", Query: []string{"protocol", "proposal", "after", "before", "order", "limit"}},
	{ID: "listUsers", Method: "GET", Path: "/users", Summary: "The people pvczar knows.", Query: []string{"after", "limit"}},
	{ID: "listProtocols", Method: "GET", Path: "/protocols", Summary: "Every protocol with its stage, time in stage, badges and open proposal.", Query: []string{"now", "after", "limit"}},
	{ID: "getProtocol", Method: "GET", Path: "/protocols/{protocol}", Summary: "Everything recorded about a protocol. The ETag is for If-Match on its commands.", Query: []string{"now"}},
	{ID: "listProposals", Method: "GET", Path: "/proposals", Summary: "Proposals, optionally by status.", Query: []string{"status", "now", "after", "limit"}},
	{ID: "getProposal", Method: "GET", Path: "/proposals/{proposal}", Summary: "A proposal: window, positions, objections, quorum, gates, what it still needs. The ETag is for If-Match.", Query: []string{"now"}},
	{ID: "runAudit", Method: "GET", Path: "/audit", Summary: "Refold the log and compare it with the stored tables (the Czar).", Auth: "czar"},
	{ID: "tick", Method: "POST", Path: "/tick", Summary: "Apply the clock's changes due now (maintainers and the Czar; the server's scheduler does it by itself). With dry_run, only show them; now asks a dry run about another instant.", Auth: "user", Body: tickRequest{}},
	{ID: "createToken", Method: "POST", Path: "/tokens", Summary: "Create an API token; the secret is in the answer, and only there. Yours, or anyone's for the Czar.", Auth: "user", Body: tokenRequest{}, Status: 201},
	{ID: "listTokens", Method: "GET", Path: "/tokens", Summary: "List tokens: yours, another user's (the Czar), or everyone's with user=* (the Czar).", Auth: "user", Query: []string{"user"}},
	{ID: "revokeToken", Method: "DELETE", Path: "/tokens/{id}", Summary: "Revoke a token: yours, or anyone's for the Czar.", Auth: "user", Status: 204, Conflict: "The token was already revoked."},
	{ID: "setPassword", Method: "PUT", Path: "/users/{user}/password", Summary: "Set a password for web sign-in: yours, or anyone's for the Czar.", Auth: "user", Body: passwordRequest{}, Status: 204},
}

var queryDocs = map[string]string{
	"now":      "Evaluate at this instant (RFC 3339 or YYYY-MM-DD) instead of the server's clock.",
	"after":    "The cursor of the page to return: the next value of the previous page.",
	"before":   "Only events before this number (with order=newest, the next value of the previous page).",
	"order":    "oldest (the default) or newest first.",
	"limit":    "Items per page, 1 to 500 (default 50).",
	"protocol": "Only this protocol's events.",
	"proposal": "Only this proposal's events.",
	"status":   "open, accepted, rejected or withdrawn.",
	"user":     "Whose tokens.",
}

// openAPI builds the OpenAPI 3.0 document of the API.
func openAPI() map[string]any {
	paths := map[string]map[string]any{}
	add := func(method, path string, op map[string]any) {
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		var ps []any
		for _, p := range params(path) {
			ps = append(ps, map[string]any{"name": p, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range op["x-query"].([]string) {
			ps = append(ps, map[string]any{"name": q, "in": "query", "required": false, "description": queryDocs[q], "schema": map[string]any{"type": "string"}})
		}
		delete(op, "x-query")
		if ps != nil {
			op["parameters"] = ps
		}
		paths[path][strings.ToLower(method)] = op
	}
	errorsFor := func(auth string) map[string]any {
		r := map[string]any{
			"400": errResponse("Invalid request: malformed JSON, unknown fields, wrong types, or a broken rule."),
			"404": errResponse("A named protocol, proposal, user, objection or token does not exist."),
			"500": errResponse("Internal error; the server's log has the detail."),
		}
		if auth != "" {
			r["401"] = errResponse("No valid token.")
			r["403"] = errResponse("The user's role does not allow it.")
		}
		return r
	}
	for _, o := range apiOperations {
		resp := errorsFor(o.Auth)
		switch o.Status {
		case 0, 200:
			resp["200"] = map[string]any{"description": "OK", "content": jsonContent(map[string]any{"type": "object"})}
		case 204:
			resp["204"] = map[string]any{"description": "Done; no body."}
		default:
			resp[strconv.Itoa(o.Status)] = map[string]any{"description": "Created", "content": jsonContent(map[string]any{"type": "object"})}
		}
		if o.Conflict != "" {
			resp["409"] = errResponse(o.Conflict)
		}
		op := map[string]any{"operationId": o.ID, "summary": o.Summary, "responses": resp, "x-query": o.Query,
			"security": []any{}} // a public read
		if o.Auth != "" {
			op["security"] = []any{map[string]any{"token": []any{}}}
		}
		if o.Body != nil {
			op["requestBody"] = map[string]any{"required": true, "content": jsonContent(schemaOf(reflect.TypeOf(o.Body)))}
		}
		add(o.Method, o.Path, op)
	}
	dataType := reflect.TypeOf(pvczar.EventData{})
	for _, rt := range commandRoutes {
		props := map[string]any{}
		for _, f := range rt.Fields {
			props[f] = fieldSchema(dataType, f)
		}
		resp := errorsFor("user")
		resp["201"] = map[string]any{"description": "The event recorded. Its ETag is the stream's new version.", "content": jsonContent(map[string]any{"type": "object"})}
		resp["409"] = errResponse("The current state does not allow it, or a concurrent change won.")
		resp["412"] = errResponse("If-Match names a version that is no longer current.")
		add(rt.Method, rt.Path, map[string]any{
			"summary":     rt.Summary,
			"operationId": string(rt.Type),
			"security":    []any{map[string]any{"token": []any{}}},
			"requestBody": map[string]any{"required": false, "content": jsonContent(map[string]any{"type": "object", "additionalProperties": false, "properties": props})},
			"responses":   resp,
			"x-query":     []string{},
		})
	}
	api := map[string]any{}
	for p, ops := range paths {
		api[apiPrefix+p] = ops
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "pvczar API", "version": "1",
			"description": "The lifecycle of Xen PV protocols: protocols, proposals, objections and the lazy-consensus clock. Mutations take If-Match with a protocol's ETag and answer 412 when it is stale.",
			"license":     map[string]any{"name": "MIT", "url": "https://spdx.org/licenses/MIT.html"}},
		// The server that serves this document: paths are from its root.
		"servers": []any{map[string]any{"url": "/", "description": "the pvczar server that serves this document"}},
		"paths":   api,
		"components": map[string]any{
			"securitySchemes": map[string]any{"token": map[string]any{"type": "http", "scheme": "bearer", "description": "A token from `pvczar token create`."}},
			"schemas": map[string]any{"Error": map[string]any{"type": "object", "properties": map[string]any{"error": map[string]any{"type": "object",
				"properties": map[string]any{"code": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"}}}}}},
		},
	}
}

func errResponse(desc string) map[string]any {
	return map[string]any{"description": desc, "content": jsonContent(map[string]any{"$ref": "#/components/schemas/Error"})}
}

func jsonContent(schema any) map[string]any {
	return map[string]any{"application/json": map[string]any{"schema": schema}}
}

// fieldSchema is the schema of the EventData field with the JSON name name.
func fieldSchema(t reflect.Type, name string) map[string]any {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if strings.Split(f.Tag.Get("json"), ",")[0] == name {
			return schemaOf(f.Type)
		}
	}
	panic("no field " + name) // a typo in commandRoutes; the OpenAPI test catches it
}

// schemaOf maps a Go type to a JSON schema.
func schemaOf(t reflect.Type) map[string]any {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.String() == "time.Time" {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Int, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Struct:
		props := map[string]any{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			if name == "" || name == "-" {
				continue
			}
			props[name] = schemaOf(f.Type)
		}
		return map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	}
	return map[string]any{}
}

// openAPIDocument is the OpenAPI document, rendered once: it depends on
// nothing but the program.
var openAPIDocument = sync.OnceValue(func() []byte {
	rec := &bufferedResponse{header: http.Header{}}
	writeJSON(rec, http.StatusOK, openAPI())
	return rec.body.Bytes()
})

func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(openAPIDocument())
}
