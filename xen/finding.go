// Package xen reads the Xen tree as Xen keeps it: SUPPORT.md (the support
// label of every PV driver), MAINTAINERS (who maintains what, and who is
// the PV protocols Czar), the public io headers and the design documents
// in docs/misc, and their history in git. From them it plans the commands
// that bring a pvczar registry up to date with xen.git (an import), checks
// the tree's consistency for Xen's CI, and drafts the SUPPORT.md patch a
// decision implies. It reads git through the git command line.
package xen

import (
	"fmt"
	"slices"
	"strings"
)

// Severity says how much a finding matters: errors and warnings fail a
// check, notes inform.
type Severity string

// The severities, from the gravest.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Note    Severity = "note"
)

// Finding is one problem found in the tree, with its rule and place.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	File     string   `json:"file"`
	Line     int      `json:"line,omitempty"`
	Protocol string   `json:"protocol,omitempty"`
	Message  string   `json:"message"`
}

func (f Finding) String() string {
	place := f.File
	if f.Line > 0 {
		place = fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	return fmt.Sprintf("%s: %s: %s [%s]", place, f.Severity, f.Message, f.Rule)
}

// key identifies a finding across revisions, where lines move.
func (f Finding) key() string { return f.Rule + "\x00" + f.File + "\x00" + f.Message }

// Fails reports whether the finding fails a check.
func (f Finding) Fails() bool { return f.Severity == Error || f.Severity == Warning }

// The rules of xen check and of the import's findings.
const (
	RuleSupportSyntax     = "support-syntax"         // SUPPORT.md does not parse, or parses with tolerance
	RuleSupportNoHeader   = "support-no-header"      // an entry whose protocol has no header in io/
	RuleSupportUnmapped   = "support-unmapped"       // an entry that names no known protocol
	RuleSupportMixed      = "support-mixed"          // one implementation listed under several labels
	RuleSupportSections   = "support-sections"       // SUPPORT.md lacks a PV section
	RuleHeaderNoSupport   = "header-no-support"      // an io header with no SUPPORT.md entry
	RuleDesignDocMissing  = "design-doc-missing"     // a protocol with no design document in docs/misc
	RuleDanglingReference = "dangling-reference"     // a header or document names a file the tree lacks
	RuleDocCheck          = "doc-check"              // the design-document check found an error
	RuleStalePrototype    = "stale-prototype"        // in prototype (by SUPPORT.md) longer than the stale limit
	RuleRegistry          = "registry"               // the pvczar registry disagrees with SUPPORT.md
	RuleMaintainersSyntax = "maintainers-syntax"     // MAINTAINERS does not parse
	RuleMaintainersCover  = "maintainers-uncovered"  // an io header no MAINTAINERS entry but the catch-all covers
	RuleMaintainersNoCzar = "maintainers-no-czar"    // MAINTAINERS has no PV protocols Czar entry
	RuleShallowHistory    = "shallow-history"        // the clone lacks history
	RuleStatusDuringVote  = "status-during-proposal" // SUPPORT.md changed while a proposal was open
)

// SortFindings orders findings by file, line and rule.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		if c := strings.Compare(a.Rule, b.Rule); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
}
