package message_test

// The threading of Jamie Zawinski's algorithm, whole: the oracle that
// ThreadCounter, which only counts, is checked against.

import (
	"sort"

	"github.com/xen-pvczar/pvczar/mail/message"
)

// jwzThread is one conversation: the Message-IDs of its messages, the
// root's first, then in the order of the tree (a reply after its parent).
// Root is the Message-ID at the top, which may be a message the archive
// lacks.
type jwzThread struct {
	Root     string
	Messages []string
}

// maxReferences bounds the References of one message that threading
// follows (the latest ones): a message with 100,000 References costs no
// more than one with 100.
const maxReferences = 100

// container is a node of the threading tree: a Message-ID, with or without
// its message.
type container struct {
	id       string
	present  bool
	date     int64
	parent   *container
	children []*container
}

func (c *container) isAncestorOf(d *container) bool {
	for p := d; p != nil; p = p.parent {
		if p == c {
			return true
		}
	}
	return false
}

func (c *container) detach() {
	if p := c.parent; p != nil {
		for i, ch := range p.children {
			if ch == c {
				p.children = append(p.children[:i], p.children[i+1:]...)
				break
			}
		}
		c.parent = nil
	}
}

func (c *container) attach(parent *container) {
	c.detach()
	c.parent = parent
	parent.children = append(parent.children, c)
}

// jwzThreads groups mails into threads by Message-ID, References and
// In-Reply-To, after Jamie Zawinski's algorithm: the References chain links
// ancestors that are not in the archive, so replies to a missing message
// still share a thread; links that would make a loop are not made, and an
// earlier link between two ancestors is kept. Threads come in the order of
// their first message's date.
func jwzThreads(mails []message.Mail) []jwzThread {
	byID := map[string]*container{}
	get := func(id string) *container {
		c := byID[id]
		if c == nil {
			c = &container{id: id}
			byID[id] = c
		}
		return c
	}
	for _, m := range mails {
		if m.MessageID == "" {
			continue
		}
		c := get(m.MessageID)
		if c.present {
			continue // a duplicate: the first copy counts
		}
		c.present, c.date = true, m.Date.Unix()
		refs := m.References
		if len(refs) > maxReferences {
			refs = refs[len(refs)-maxReferences:]
		}
		if m.InReplyTo != "" && (len(refs) == 0 || refs[len(refs)-1] != m.InReplyTo) {
			refs = append(refs[:len(refs):len(refs)], m.InReplyTo)
		}
		var prev *container
		for _, ref := range refs {
			if ref == "" || ref == m.MessageID {
				continue
			}
			r := get(ref)
			if prev != nil && r.parent == nil && !r.isAncestorOf(prev) {
				r.attach(prev)
			}
			prev = r
		}
		if prev != nil && !c.isAncestorOf(prev) {
			c.attach(prev) // the message's own headers win over earlier guesses
		} else if prev == nil {
			c.detach()
		}
	}
	var roots []*container
	for _, c := range byID {
		if c.parent == nil {
			roots = append(roots, c)
		}
	}
	type dated struct {
		jwzThread
		first int64
	}
	var found []dated
	for _, r := range roots {
		t := jwzThread{Root: r.id}
		first := int64(1<<63 - 1)
		var walk func(c *container)
		walk = func(c *container) {
			if c.present {
				t.Messages = append(t.Messages, c.id)
				first = min(first, c.date)
			}
			sort.Slice(c.children, func(i, j int) bool {
				if c.children[i].date != c.children[j].date {
					return c.children[i].date < c.children[j].date
				}
				return c.children[i].id < c.children[j].id
			})
			for _, ch := range c.children {
				walk(ch)
			}
		}
		walk(r)
		if len(t.Messages) > 0 {
			found = append(found, dated{t, first})
		}
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].first != found[j].first {
			return found[i].first < found[j].first
		}
		return found[i].Root < found[j].Root
	})
	threads := make([]jwzThread, len(found))
	for i, d := range found {
		threads[i] = d.jwzThread
	}
	return threads
}
