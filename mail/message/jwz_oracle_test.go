package message_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar/mail/message"
)

func msg(id string, day int, inReplyTo string, refs ...string) message.Mail {
	return message.Mail{MessageID: id, InReplyTo: inReplyTo, References: refs, Date: time.Date(2026, 3, day, 0, 0, 0, 0, time.UTC)}
}

func render(threads []jwzThread) string {
	var parts []string
	for _, t := range threads {
		parts = append(parts, t.Root+"["+strings.Join(t.Messages, " ")+"]")
	}
	return strings.Join(parts, " ")
}

func TestThreads(t *testing.T) {
	cases := []struct {
		name  string
		mails []message.Mail
		want  string
	}{
		{"a reply and a reply to it", []message.Mail{msg("a", 1, ""), msg("b", 2, "a", "a"), msg("c", 3, "b", "a", "b")}, "a[a b c]"},
		{"replies before their parent arrive", []message.Mail{msg("c", 3, "b", "a", "b"), msg("b", 2, "a"), msg("a", 1, "")}, "a[a b c]"},
		{"siblings of a missing parent share a thread", []message.Mail{msg("b", 2, "x"), msg("c", 3, "", "x")}, "x[b c]"},
		{"a missing middle joins by References", []message.Mail{msg("a", 1, ""), msg("c", 3, "", "a", "missing")}, "a[a c]"},
		{"two threads, by first date", []message.Mail{msg("z", 5, ""), msg("y", 1, ""), msg("w", 6, "z")}, "y[y] z[z w]"},
		{"a loop is not made", []message.Mail{msg("a", 1, "b"), msg("b", 2, "a")}, "b[b a]"},
		{"a message referring to itself", []message.Mail{msg("a", 1, "a", "a")}, "a[a]"},
		{"a duplicate counts once", []message.Mail{msg("a", 1, ""), msg("a", 2, "")}, "a[a]"},
	}
	for _, c := range cases {
		if got := render(jwzThreads(c.mails)); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
		countBoth(t, c.mails)
	}
}

// TestThreadManyReferences: 100,000 References cost what 100 do.
func TestThreadManyReferences(t *testing.T) {
	refs := make([]string, 100000)
	for i := range refs {
		refs[i] = fmt.Sprintf("r%d", i)
	}
	start := time.Now()
	threads := jwzThreads([]message.Mail{msg("m", 1, "", refs...), msg("r99999", 1, "")})
	if len(threads) != 1 || len(threads[0].Messages) != 2 {
		t.Fatalf("%s", render(threads))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("threading one message with 100,000 References took %s", d)
	}
}

// FuzzThreads: any graph of ids threads without panicking, and every
// message lands in exactly one thread.
func FuzzThreads(f *testing.F) {
	f.Add("a b a|b a|c x")
	f.Add("a a|a a a")
	f.Fuzz(func(t *testing.T, spec string) {
		var mails []message.Mail
		ids := map[string]bool{}
		for i, part := range strings.Split(spec, "|") {
			f := strings.Fields(part)
			if len(f) == 0 {
				continue
			}
			m := msg(f[0], 1+i%28, "", f[1:]...)
			mails = append(mails, m)
			ids[f[0]] = true
		}
		countBoth(t, mails)
		seen := map[string]int{}
		for _, th := range jwzThreads(mails) {
			for _, id := range th.Messages {
				seen[id]++
			}
		}
		for id := range ids {
			if seen[id] != 1 {
				t.Fatalf("%q is in %d threads", id, seen[id])
			}
		}
	})
}
