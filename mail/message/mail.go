package message

import "time"

// Address is a person as a mail names them.
type Address struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email"`
}

// Mail is a message as pvczar reads it from a list archive.
type Mail struct {
	MessageID string `json:"message_id"`
	// DerivedID is set when the message had no usable Message-ID and
	// MessageID was derived from its contents (stable across ingests).
	DerivedID  bool      `json:"derived_id,omitempty"`
	InReplyTo  string    `json:"in_reply_to,omitempty"`
	References []string  `json:"references,omitempty"`
	From       Address   `json:"from"`
	Subject    string    `json:"subject"`
	Date       time.Time `json:"date"`
	Body       string    `json:"body"` // the plain-text part, in UTF-8
}
