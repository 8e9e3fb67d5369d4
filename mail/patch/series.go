package patch

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// SeriesError is a series that lacks parts, or whose parts disagree on its
// length: no patch-id stands for it until the parts come.
type SeriesError struct {
	Version int
	Total   int
	Missing []int
	Reason  string
}

func (e *SeriesError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("series v%d: %s", e.Version, e.Reason)
	}
	parts := make([]string, len(e.Missing))
	for i, n := range e.Missing {
		parts[i] = fmt.Sprintf("%d/%d", n, e.Total)
	}
	return fmt.Sprintf("series v%d lacks %s", e.Version, strings.Join(parts, ", "))
}

// Series gathers the patches of one version of a series as its mails come
// (in any order): its patch-id stands for all its parts, so that a series
// whose every patch is unchanged keeps its id, and a series with a part
// missing has none.
type Series struct {
	Version int
	Total   int
	ids     map[int]string // part (from 1) -> its patch-id
}

// NewSeries starts the series that a mail with subject s belongs to.
func NewSeries(s Subject) *Series {
	return &Series{Version: s.Version, Total: max(s.Total, 1), ids: map[int]string{}}
}

// Add records the patch-id of the part that subject s names. A lone patch
// ("[PATCH v2]") is part 1 of 1; a cover letter carries no diff and is not
// added.
func (sr *Series) Add(s Subject, patchID string) error {
	index, total := s.Index, s.Total
	if total == 0 {
		index, total = 1, 1
	}
	switch {
	case s.Version != sr.Version:
		return &SeriesError{Version: sr.Version, Total: sr.Total, Reason: fmt.Sprintf("part %d/%d is of v%d", index, total, s.Version)}
	case total != sr.Total:
		return &SeriesError{Version: sr.Version, Total: sr.Total, Reason: fmt.Sprintf("part %d/%d says the series has %d parts, not %d", index, total, total, sr.Total)}
	case index == 0:
		return &SeriesError{Version: sr.Version, Total: sr.Total, Reason: "the cover letter (0/" + strconv.Itoa(total) + ") carries no patch"}
	}
	if old, ok := sr.ids[index]; ok && old != patchID {
		return &SeriesError{Version: sr.Version, Total: sr.Total, Reason: fmt.Sprintf("part %d/%d came twice, with different diffs", index, total)}
	}
	sr.ids[index] = patchID
	return nil
}

// Missing returns the parts not added yet, in order.
func (sr *Series) Missing() []int {
	var out []int
	for i := 1; i <= sr.Total; i++ {
		if _, ok := sr.ids[i]; !ok {
			out = append(out, i)
		}
	}
	return out
}

// ID returns the series' patch-id: a lone patch's own, or the SHA-1 of its
// parts' ids in order. A series that lacks parts gives a *SeriesError
// naming them.
func (sr *Series) ID() (string, error) {
	if missing := sr.Missing(); len(missing) > 0 {
		return "", &SeriesError{Version: sr.Version, Total: sr.Total, Missing: missing}
	}
	if sr.Total == 1 {
		return sr.ids[1], nil
	}
	h := sha1.New()
	for i := 1; i <= sr.Total; i++ {
		fmt.Fprintf(h, "%d %s\n", i, sr.ids[i])
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
