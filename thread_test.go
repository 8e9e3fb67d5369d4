package pvczar_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
)

func mail(id string, day int, inReplyTo string, refs ...string) pvczar.Mail {
	return pvczar.Mail{MessageID: id, InReplyTo: inReplyTo, References: refs, Date: time.Date(2026, 3, day, 0, 0, 0, 0, time.UTC)}
}

func render(threads []pvczar.MailThread) string {
	var parts []string
	for _, t := range threads {
		parts = append(parts, t.Root+"["+strings.Join(t.Messages, " ")+"]")
	}
	return strings.Join(parts, " ")
}

func TestThreadMails(t *testing.T) {
	cases := []struct {
		name  string
		mails []pvczar.Mail
		want  string
	}{
		{"a reply and a reply to it", []pvczar.Mail{mail("a", 1, ""), mail("b", 2, "a", "a"), mail("c", 3, "b", "a", "b")}, "a[a b c]"},
		{"replies before their parent arrive", []pvczar.Mail{mail("c", 3, "b", "a", "b"), mail("b", 2, "a"), mail("a", 1, "")}, "a[a b c]"},
		{"siblings of a missing parent share a thread", []pvczar.Mail{mail("b", 2, "x"), mail("c", 3, "", "x")}, "x[b c]"},
		{"a missing middle joins by References", []pvczar.Mail{mail("a", 1, ""), mail("c", 3, "", "a", "missing")}, "a[a c]"},
		{"two threads, by first date", []pvczar.Mail{mail("z", 5, ""), mail("y", 1, ""), mail("w", 6, "z")}, "y[y] z[z w]"},
		{"a loop is not made", []pvczar.Mail{mail("a", 1, "b"), mail("b", 2, "a")}, "b[b a]"},
		{"a message referring to itself", []pvczar.Mail{mail("a", 1, "a", "a")}, "a[a]"},
		{"a duplicate counts once", []pvczar.Mail{mail("a", 1, ""), mail("a", 2, "")}, "a[a]"},
	}
	for _, c := range cases {
		if got := render(pvczar.ThreadMails(c.mails)); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// TestThreadManyReferences: 100,000 References cost what 100 do.
func TestThreadManyReferences(t *testing.T) {
	refs := make([]string, 100000)
	for i := range refs {
		refs[i] = fmt.Sprintf("r%d", i)
	}
	start := time.Now()
	threads := pvczar.ThreadMails([]pvczar.Mail{mail("m", 1, "", refs...), mail("r99999", 1, "")})
	if len(threads) != 1 || len(threads[0].Messages) != 2 {
		t.Fatalf("%s", render(threads))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("threading one message with 100,000 References took %s", d)
	}
}

// FuzzThreadMails: any graph of ids threads without panicking, and every
// message lands in exactly one thread.
func FuzzThreadMails(f *testing.F) {
	f.Add("a b a|b a|c x")
	f.Add("a a|a a a")
	f.Fuzz(func(t *testing.T, spec string) {
		var mails []pvczar.Mail
		ids := map[string]bool{}
		for i, part := range strings.Split(spec, "|") {
			f := strings.Fields(part)
			if len(f) == 0 {
				continue
			}
			m := mail(f[0], 1+i%28, "", f[1:]...)
			mails = append(mails, m)
			ids[f[0]] = true
		}
		seen := map[string]int{}
		for _, th := range pvczar.ThreadMails(mails) {
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
