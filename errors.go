package pvczar

import (
	"errors"
	"fmt"
)

// Error codes. Every error a user can see carries one of them; transports map
// them once to HTTP statuses and exit codes.
const (
	EINVALID      = "invalid"      // the request is malformed or breaks a rule of its own
	ENOTFOUND     = "not_found"    // a named protocol, proposal, user or objection does not exist
	ECONFLICT     = "conflict"     // the current state does not allow it, or someone else changed it first
	ESTALE        = "stale"        // the caller acted on a state that has changed since it read it
	EUNAUTHORIZED = "unauthorized" // nobody is identified
	EFORBIDDEN    = "forbidden"    // the identified person's role does not allow it
	EINTERNAL     = "internal"     // a fault of pvczar or its storage
)

// Error is a domain error with a code and a message meant for users.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: the code of the first *Error in its
// chain, EINTERNAL for any other error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic text for internal errors, whose detail belongs in the logs.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

func asError[T error](err error, target *T) bool { return errors.As(err, target) }
