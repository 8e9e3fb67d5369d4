package message

import "hash/maphash"

// ThreadCounter counts the threads of the mails added to it as
// the JWZ threading of its tests does (the same links: References, the last 100,
// then In-Reply-To; a message's own headers win over earlier guesses; a
// thread counts when it holds a message that was added), without keeping
// the mails: it keeps a 64-bit hash of each id (those only referenced
// too) and one parent link per id, about 90 bytes per message of a real
// list archive (bench/README.md) against the kilobyte of the mails' ids
// and references. Two ids whose hashes collide count as one (at 1M ids,
// a chance of about 3 in 100 million). It is not safe for concurrent use.
type ThreadCounter struct {
	seed    maphash.Seed
	index   map[uint64]int32
	parent  []int32 // -1: a root
	present []bool
}

// NewThreadCounter returns an empty counter.
func NewThreadCounter() *ThreadCounter {
	return &ThreadCounter{seed: maphash.MakeSeed(), index: map[uint64]int32{}}
}

const maxReferences = 100 // the last References read, as JWZ threading reads them

func (c *ThreadCounter) get(id string) int32 {
	h := maphash.String(c.seed, id)
	if i, ok := c.index[h]; ok {
		return i
	}
	i := int32(len(c.parent))
	c.index[h] = i
	c.parent = append(c.parent, -1)
	c.present = append(c.present, false)
	return i
}

func (c *ThreadCounter) isAncestorOf(a, d int32) bool {
	for p := d; p >= 0; p = c.parent[p] {
		if p == a {
			return true
		}
	}
	return false
}

// Add adds a mail by its Message-ID, In-Reply-To and References, and
// tells whether its id is new (false for a duplicate, which counts once,
// or an empty id).
func (c *ThreadCounter) Add(messageID, inReplyTo string, references []string) bool {
	if messageID == "" {
		return false
	}
	me := c.get(messageID)
	if c.present[me] {
		return false
	}
	c.present[me] = true
	refs := references
	if len(refs) > maxReferences {
		refs = refs[len(refs)-maxReferences:]
	}
	prev := int32(-1)
	link := func(ref string) {
		if ref == "" || ref == messageID {
			return
		}
		r := c.get(ref)
		if prev >= 0 && c.parent[r] < 0 && !c.isAncestorOf(r, prev) {
			c.parent[r] = prev
		}
		prev = r
	}
	for _, ref := range refs {
		link(ref)
	}
	if inReplyTo != "" && (len(refs) == 0 || refs[len(refs)-1] != inReplyTo) {
		link(inReplyTo)
	}
	if prev >= 0 && !c.isAncestorOf(me, prev) {
		c.parent[me] = prev
	} else if prev < 0 {
		c.parent[me] = -1
	}
	return true
}

// Threads returns the number of threads that hold an added mail.
func (c *ThreadCounter) Threads() int {
	roots := map[int32]bool{}
	for i, p := range c.present {
		if !p {
			continue
		}
		r := int32(i)
		for c.parent[r] >= 0 {
			r = c.parent[r]
		}
		roots[r] = true
	}
	return len(roots)
}

// Messages returns the number of distinct ids added.
func (c *ThreadCounter) Messages() int {
	n := 0
	for _, p := range c.present {
		if p {
			n++
		}
	}
	return n
}
