// Package patch reads what a patch mail says about itself, as b4 does: the
// tags of its subject ("[PATCH v3 2/5]": which version of a series, which
// part of how many) and the stable patch-id of the diff in its body, which
// stays the same when a patch is posted again unchanged (rebased, its
// message reworded, its whitespace touched). Trailers given on one version
// carry over to the next only when the patch-id says the patch did not
// change. It imports nothing of pvczar: it is a leaf under the mail wing.
package patch

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxNumber bounds a version, a part and a series' length: a subject that
// claims more is mangled, not a series.
const MaxNumber = 9999

// ErrNotPatch says a subject has no patch tag: an ordinary mail, not a
// mangled patch.
var ErrNotPatch = errors.New("the subject has no [PATCH] or [RFC] tag")

// SubjectError is a patch subject whose tags do not make sense ("[PATCH
// 6/5]"): the mail is a patch, but which part of what is unknown.
type SubjectError struct {
	Subject string
	Reason  string
}

func (e *SubjectError) Error() string {
	return fmt.Sprintf("subject %q: %s", e.Subject, e.Reason)
}

// Subject is what the tags of a patch mail's subject say, as in
// "Re: [Xen-devel] [XEN PATCH v2 for-4.19 1/3] xen/pvcalls: fix the ring".
type Subject struct {
	// Reply is set when "Re:" (or "Fwd:") comes before the tags.
	Reply bool
	// Prefix holds the tags other than the version and the part, in the
	// order written and upper-case: "XEN PATCH FOR-4.19", "RFC PATCH",
	// "PATCH RESEND". List tags ("[Xen-devel]") are not part of it.
	Prefix string
	RFC    bool
	Resend bool
	// Version is the series' version: 2 for "v2", 1 when none is given.
	Version int
	// Index and Total place the mail in its series: 2 and 5 for "2/5", 0
	// and 5 for the cover letter ("0/5"), both 0 for a lone patch.
	Index int
	Total int
	// Title is the subject proper, after the tags.
	Title string
}

// Patch reports whether the subject says PATCH; an RFC alone ("[RFC]")
// is a design discussion, not a patch.
func (s Subject) Patch() bool { return strings.Contains(" "+s.Prefix+" ", " PATCH ") }

// CoverLetter reports whether the subject is a series' cover letter (0/N),
// whose trailers count for the whole series.
func (s Subject) CoverLetter() bool { return s.Total > 0 && s.Index == 0 }

// ParseSubject reads the tags of a patch mail's subject. A subject without
// a patch tag gives ErrNotPatch; tags that contradict themselves (two
// versions, part 6 of 5, v0) a *SubjectError.
func ParseSubject(subject string) (Subject, error) {
	s := Subject{Version: 1}
	rest := strings.TrimSpace(subject)
	var prefix []string
	patch, version := false, false
	for {
		if r, ok := cutReply(rest); ok {
			s.Reply, rest = true, r
			continue
		}
		if !strings.HasPrefix(rest, "[") {
			break
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return s, &SubjectError{subject, "a tag opens with '[' and never closes"}
		}
		tags, isPatch, err := readGroup(&s, strings.Fields(rest[1:end]), &version)
		if err != nil {
			return s, &SubjectError{subject, err.Error()}
		}
		if isPatch {
			patch = true
			prefix = append(prefix, tags...)
		}
		rest = strings.TrimSpace(rest[end+1:])
	}
	if !patch {
		return s, ErrNotPatch
	}
	s.Prefix = strings.Join(prefix, " ")
	s.Title = rest
	if s.Title == "" {
		return s, &SubjectError{subject, "nothing follows the tags"}
	}
	return s, nil
}

// cutReply removes one "Re:", "Fwd:" or "Fw:" from the start of s.
func cutReply(s string) (string, bool) {
	for _, p := range []string{"re:", "fwd:", "fw:", "aw:"} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return strings.TrimSpace(s[len(p):]), true
		}
	}
	return s, false
}

// readGroup reads the words of one bracketed group into s. It returns the
// words that go into the prefix and whether the group is a patch's (it says
// PATCH or RFC, or gives a version or a part); a list tag is not.
func readGroup(s *Subject, words []string, version *bool) ([]string, bool, error) {
	var prefix []string
	isPatch := false
	for _, w := range words {
		up := strings.ToUpper(w)
		// "PATCHv2", "PATCH-v2", "RFC-PATCH": a patch word glued to another.
		word, v, glued := strings.Cut(strings.Replace(up, "PATCHV", "PATCH-V", 1), "-V")
		if glued && (word == "PATCH" || word == "RFC") && isDigits(v) {
			if err := setVersion(s, v, version); err != nil {
				return nil, false, err
			}
			prefix, isPatch = append(prefix, word), true
			if word == "RFC" {
				s.RFC = true
			}
			continue
		}
		switch {
		case up == "PATCH" || up == "RFC-PATCH" || up == "PATCH-RFC":
			isPatch = true
			s.RFC = s.RFC || up != "PATCH"
		case up == "RFC":
			isPatch, s.RFC = true, true
		case up == "RESEND":
			s.Resend = true
		case len(up) > 1 && up[0] == 'V' && isDigits(up[1:]):
			if err := setVersion(s, up[1:], version); err != nil {
				return nil, false, err
			}
			isPatch = true
			continue
		case strings.Contains(up, "/") && isPart(up):
			if err := setPart(s, up); err != nil {
				return nil, false, err
			}
			isPatch = true
			continue
		}
		prefix = append(prefix, up)
	}
	return prefix, isPatch, nil
}

func setVersion(s *Subject, digits string, seen *bool) error {
	n, err := strconv.Atoi(digits)
	switch {
	case *seen:
		return errors.New("two versions given")
	case err != nil || n < 1 || n > MaxNumber:
		return fmt.Errorf("version v%s: want 1 to %d", digits, MaxNumber)
	}
	s.Version, *seen = n, true
	return nil
}

// isPart reports whether w looks like "2/5", digits both sides.
func isPart(w string) bool {
	i, t, ok := strings.Cut(w, "/")
	return ok && isDigits(i) && isDigits(t)
}

func setPart(s *Subject, w string) error {
	if s.Total != 0 {
		return errors.New("two parts given")
	}
	is, ts, _ := strings.Cut(w, "/")
	i, err1 := strconv.Atoi(is)
	t, err2 := strconv.Atoi(ts)
	switch {
	case err1 != nil || err2 != nil || t > MaxNumber:
		return fmt.Errorf("part %s: a series has at most %d parts", w, MaxNumber)
	case t < 1:
		return fmt.Errorf("part %s: a series of no patch", w)
	case i > t:
		return fmt.Errorf("part %s: past the end of the series", w)
	}
	s.Index, s.Total = i, t
	return nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
