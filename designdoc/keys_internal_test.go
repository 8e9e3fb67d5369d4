package designdoc

import "testing"

// TestKeyBase: the spellings of one key in specs and documents meet.
func TestKeyBase(t *testing.T) {
	for in, want := range map[string]string{
		"<conn-idx>/req-ring-ref": "req-ring-ref",
		"event-channel-<num>":     "event-channel",
		"event-channel-%u":        "event-channel",
		"ring-ref<num>":           "ring-ref",
		"ring-ref":                "ring-ref",
		"{idx}/unique-id":         "unique-id",
	} {
		if got := keyBase(in); got != want {
			t.Errorf("keyBase(%q) = %q, want %q", in, got, want)
		}
	}
}
