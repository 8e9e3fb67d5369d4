package message_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/xen-pvczar/pvczar/mail/mbox"
	"github.com/xen-pvczar/pvczar/mail/message"
)

// countBoth counts mails' threads with the JWZ oracle and with a
// ThreadCounter, which must agree.
func countBoth(t *testing.T, mails []message.Mail) int {
	t.Helper()
	c := message.NewThreadCounter()
	for _, m := range mails {
		c.Add(m.MessageID, m.InReplyTo, m.References)
	}
	want := len(jwzThreads(mails))
	if got := c.Threads(); got != want {
		t.Fatalf("ThreadCounter counts %d threads, ThreadMails %d, in %v", got, want, mails)
	}
	return want
}

// TestThreadCounterRandom: tangled references among few ids (replies
// before their parents, references that contradict, duplicates, loops).
func TestThreadCounterRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	id := func() string { return fmt.Sprintf("%d@x", r.IntN(12)) }
	for round := 0; round < 3000; round++ {
		var mails []message.Mail
		for n := r.IntN(12); n > 0; n-- {
			m := message.Mail{MessageID: id()}
			for k := r.IntN(4); k > 0; k-- {
				m.References = append(m.References, id())
			}
			if r.IntN(2) == 0 {
				m.InReplyTo = id()
			}
			mails = append(mails, m)
		}
		countBoth(t, mails)
	}
}

// TestThreadCounterCorpus: the sample archive's threads, counted both ways.
func TestThreadCounterCorpus(t *testing.T) {
	var mails []message.Mail
	message.EachCorpusMessage(t, func(raw *mbox.Message) {
		if m, err := message.Parse(raw.Raw); err == nil {
			mails = append(mails, m)
		}
	})
	t.Logf("%d threads", countBoth(t, mails))
}
