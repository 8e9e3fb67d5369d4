package specimport

import (
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/xen-pvczar/pvczar/cheader"
)

// protocolVersion is the version a #define states (XENSND_PROTOCOL_VERSION
// 2, XENDISPL_PROTOCOL_VERSION_INT 2, or a quoted "2"), and its name.
func (imp *importer) protocolVersion() (int64, string) {
	for _, suffix := range []string{"_PROTOCOL_VERSION_INT", "_PROTOCOL_VERSION"} {
		for _, d := range imp.h.Defines {
			if !strings.HasSuffix(d.Name, suffix) || d.Function {
				continue
			}
			if d.IsInt && d.Value > 0 {
				return d.Value, d.Name
			}
			if n, err := strconv.ParseInt(strings.Trim(d.Body, `" `), 10, 64); err == nil && n > 0 {
				return n, d.Name
			}
		}
	}
	return 0, ""
}

// reservedName tells padding and reserved fields by their C names.
var reservedName = regexp.MustCompile(`(?i)^_*(pad|padding|reserved|rsvd|res|unused|spare)_?\d*$|^_*(pad|reserved)_\w+$`)

// featuresNode lists the feature-* keys as features, advertised by the
// side that writes them.
func featuresNode(keys []key) *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	seen := map[string]bool{}
	for _, k := range keys {
		name, ok := strings.CutPrefix(k.name, "feature-")
		if !ok || seen[name] || !validName(name) {
			continue
		}
		seen[name] = true
		def := k.def
		if def == "" {
			def = "0"
		}
		gates := k.doc
		if gates == "" {
			gates = "TODO: what the feature gates"
		}
		n := mapping(true, "name", str(name), "advertised_by", str(k.side), "key", str(k.name), "default", str(def), "gates", str(firstSentence(gates)))
		if k.def == "" {
			n.LineComment = "# TODO: the header states no default; absent is taken as off"
		}
		seq.Content = append(seq.Content, n)
	}
	return seq
}

// xenstoreNode lists the keys of the XenBus Nodes sections.
func (imp *importer) xenstoreNode(keys []key) *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k.side+" "+k.name] {
			continue
		}
		seen[k.side+" "+k.name] = true
		typ := k.typ
		if typ == "" {
			typ = "string"
		}
		n := mapping(true, "name", str(k.name), "side", str(k.side), "type", str(typ))
		if k.def != "" {
			n.Content = append(n.Content, str("default"), str(k.def))
		} else if strings.HasPrefix(k.name, "feature-") {
			n.Content = append(n.Content, str("default"), str("0"))
		}
		if k.doc != "" {
			n.Content = append(n.Content, str("doc"), str(firstSentence(k.doc)))
		}
		n.LineComment = "# line " + strconv.Itoa(k.line)
		if k.def == "" && !strings.HasPrefix(k.name, "feature-") {
			n.LineComment += "; TODO: required: true, or the default its absence means"
		}
		seq.Content = append(seq.Content, n)
	}
	return seq
}

// validName tells a name the spec format takes.
func validName(s string) bool { return nameSyntax.MatchString(s) }

var nameSyntax = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// firstSentence is a text's first sentence, for a doc line.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}

// isPage tells a struct that is a shared page's layout by its name: the
// console's and xenstore's *_interface, the framebuffer's and keyboard's
// *_page.
func isPage(t *cheader.Type) bool {
	return t.Kind == cheader.Struct && t.Outer == nil &&
		(strings.HasSuffix(t.Tag, "_interface") || strings.HasSuffix(t.Tag, "_page"))
}

// versioningNode declares how versions are negotiated when the header's
// keys say it the way Xen's protocols do: the backend lists the versions
// it speaks in "versions", the frontend writes the one it chose in
// "version". Every version up to the header's is taken as offered.
func versioningNode(keys []key, version int64) *yaml.Node {
	var offer, choice string
	for _, k := range keys {
		switch {
		case k.side == "backend" && k.name == "versions":
			offer = k.name
		case k.side == "frontend" && k.name == "version":
			choice = k.name
		}
	}
	if offer == "" || choice == "" {
		return nil
	}
	offered := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for v := int64(1); v <= version; v++ {
		offered.Content = append(offered.Content, num(v))
	}
	n := mapping(false, "offered_by", str("backend"), "offer_key", str(offer), "chosen_by", str("frontend"), "choice_key", str(choice), "offered", offered)
	n.Content[len(n.Content)-2].LineComment = "# TODO: the versions a backend offers; every one up to the header's is assumed"
	return n
}
