package pvczar

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// What Xen's SUPPORT.md says about a protocol, and where pvczar disagrees.
// Xen records the status of each PV driver in SUPPORT.md, one label per
// implementation; an import of xen.git (support.imported events) keeps those
// labels on the protocol's implementations, and the rules below read a
// stage from them.

// SupportStage is the stage that SUPPORT.md's labels imply for a protocol
// whose listed implementations are impls: production when at least one
// frontend and one backend are Supported (with or without caveats),
// prototype when it lists implementations but no such pair, design when it
// lists none for a protocol imported from xen.git, and "" when SUPPORT.md
// says nothing (a protocol registered by hand). Deprecated implementations
// do not count.
func SupportStage(imported bool, impls []Implementation) Stage {
	listed, front, back := false, false, false
	for _, impl := range impls {
		if impl.Support == "" || impl.Support == SupportDeprecated {
			continue
		}
		listed = true
		if impl.Support == SupportSupported {
			front = front || impl.Side == SideFrontend
			back = back || impl.Side == SideBackend
		}
	}
	switch {
	case front && back:
		return StageProduction
	case listed:
		return StagePrototype
	case imported:
		return StageDesign
	}
	return ""
}

// listed returns the implementations SUPPORT.md lists.
func (p *Protocol) listed() []Implementation {
	var out []Implementation
	for _, impl := range p.Implementations {
		if impl.Listed != "" {
			out = append(out, impl)
		}
	}
	return out
}

// SupportFindings lists where the protocol and SUPPORT.md disagree, for the
// Czar: a stage other than the one SUPPORT.md's labels imply, and one
// implementation listed under several labels (PV display's two modes).
func (p *Protocol) SupportFindings() []string {
	var out []string
	if s := p.StageDisagreement(); s != "" {
		out = append(out, s)
	}
	return append(out, p.MixedLabels()...)
}

// impliedMove is the stage SUPPORT.md's labels impl imply for the
// protocol when it differs from its stage, or "": none for a protocol
// withdrawn or deferred, or one SUPPORT.md says nothing of.
func (p *Protocol) impliedMove(impls []Implementation) Stage {
	implied := SupportStage(p.Imported != "", impls)
	if implied == "" || implied == p.Stage || p.Stage == StageWithdrawn || p.Stage == StageDeferred {
		return ""
	}
	return implied
}

// StageDisagreement says, when the protocol's stage is not the one its
// SUPPORT.md labels imply, so; else "".
func (p *Protocol) StageDisagreement() string {
	if implied := p.impliedMove(p.listed()); implied != "" {
		return fmt.Sprintf("pvczar has %s at %s; SUPPORT.md's labels imply %s", p.ID, p.Stage, implied)
	}
	return ""
}

// MixedLabels lists the implementations SUPPORT.md gives several labels
// (Deprecated variants aside, as xen check does).
func (p *Protocol) MixedLabels() []string {
	var out []string
	type group struct{ driver, side string }
	labels := map[group][]string{}
	var groups []group
	for _, impl := range p.listed() {
		if impl.Support == SupportDeprecated {
			continue
		}
		g := group{driverOf(impl.Name), impl.Side}
		if g.driver == "" {
			g.driver = impl.CodeBase
		}
		if labels[g] == nil {
			groups = append(groups, g)
		}
		if !slices.Contains(labels[g], impl.Support) {
			labels[g] = append(labels[g], impl.Support)
		}
	}
	for _, g := range groups {
		if len(labels[g]) > 1 {
			out = append(out, fmt.Sprintf("the %s %s of %s has mixed labels in SUPPORT.md: %s", g.driver, g.side, p.ID, strings.Join(labels[g], ", ")))
		}
	}
	return out
}

// Label is an implementation's SUPPORT.md label with its note:
// "Supported, with caveats".
func (impl Implementation) Label() string {
	if impl.Support == "" || impl.SupportNote == "" {
		return impl.Support + impl.SupportNote
	}
	return impl.Support + ", " + impl.SupportNote
}

// driverOf is the implementation part of a SUPPORT.md name, without the
// variant after a comma: `QEMU (xen_disk)` of `QEMU (xen_disk), raw format`.
func driverOf(name string) string {
	driver, _, _ := strings.Cut(name, ",")
	return strings.TrimSpace(driver)
}

// ImplementationID is the id of an implementation: its code base and side
// ("linux-frontend"), and what its SUPPORT.md name adds to them.
func ImplementationID(codeBase, side, name string) string {
	return codeBase + "-" + side + variantSuffix(name)
}

// variantSuffix is what an implementation's SUPPORT.md name adds to its id
// (code base and side): the name's first word when it is not the code
// base's (Blktap2, xen-9pfsd) and the variant after a comma ("raw format"),
// so that each status line keeps an implementation of its own.
func variantSuffix(name string) string {
	var parts []string
	driver, variant, _ := strings.Cut(name, ",")
	word := strings.FieldsFunc(driver, func(r rune) bool { return r == ' ' || r == '(' })
	if len(word) > 0 && !slices.ContainsFunc(CodeBases, func(cb string) bool { return normalizeWord(cb) == normalizeWord(word[0]) }) {
		parts = append(parts, word[0])
	}
	if variant = strings.TrimSpace(variant); variant != "" {
		parts = append(parts, variant)
	}
	if len(parts) == 0 {
		return ""
	}
	return "-" + Slugify(strings.Join(parts, " "))
}

// Slugify turns a name into lower-case letters, digits and single hyphens.
func Slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	return b.String()
}

// ShortCommit abbreviates a commit id for people to read.
func ShortCommit(commit string) string { return commit[:min(len(commit), 12)] }

// xenbits is xen.git's gitweb.
const xenbits = "https://xenbits.xen.org/gitweb/?p=xen.git"

// XenCommitURL is the page of a xen.git commit on xenbits.
func XenCommitURL(commit string) string { return xenbits + ";a=commit;h=" + url.QueryEscape(commit) }

// XenFileURL is the page of a xen.git file at a commit on xenbits.
func XenFileURL(path, commit string) string {
	return xenbits + ";a=blob;f=" + url.QueryEscape(path) + ";hb=" + url.QueryEscape(commit)
}
