package http

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/xen-pvczar/pvczar"
)

// statusError is an error of the HTTP layer itself (method not allowed,
// body too large, wrong media type, too many attempts).
type statusError struct {
	status  int
	message string
}

func (e *statusError) Error() string { return e.message }

// isStatusError tells an HTTP-level refusal (a bad CSRF token, a body too
// large) from one of the lifecycle's rules.
func isStatusError(err error) bool {
	var se *statusError
	return errors.As(err, &se)
}

// errorBody is the JSON of every API error.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// statusOf maps an error to its HTTP status and its code and message for
// users. Internal errors keep their detail for the log only.
func statusOf(err error) (int, string, string) {
	var se *statusError
	if errors.As(err, &se) {
		return se.status, codeOfStatus(se.status), se.message
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return http.StatusRequestEntityTooLarge, "too_large", "the request body is larger than the limit of 64 KiB"
	}
	code := pvczar.ErrorCode(err)
	msg := pvczar.ErrorMessage(err)
	switch code {
	case pvczar.EINVALID:
		return http.StatusBadRequest, code, msg
	case pvczar.ENOTFOUND:
		return http.StatusNotFound, code, msg
	case pvczar.ECONFLICT:
		return http.StatusConflict, code, msg
	case pvczar.ESTALE:
		return http.StatusPreconditionFailed, code, msg
	case pvczar.EUNAUTHORIZED:
		return http.StatusUnauthorized, code, msg
	case pvczar.EFORBIDDEN:
		return http.StatusForbidden, code, msg
	}
	return http.StatusInternalServerError, pvczar.EINTERNAL, "internal error: the server's log has the detail"
}

func codeOfStatus(status int) string {
	switch status {
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case http.StatusTooManyRequests:
		return "too_many_requests"
	case http.StatusForbidden:
		return pvczar.EFORBIDDEN
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	return pvczar.EINVALID
}

// fail answers with err: JSON under /api/, an HTML page elsewhere.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := statusOf(err)
	if status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if status == http.StatusUnauthorized && isAPI(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="pvczar"`)
	}
	if !isAPI(r) {
		s.errorPage(w, r, status, msg)
		return
	}
	var body errorBody
	body.Error.Code, body.Error.Message = code, msg
	writeJSON(w, status, body)
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// writeJSON writes v as indented JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
