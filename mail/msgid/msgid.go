// Package msgid names pvczar's own mail: the Message-ID of a proposal's
// announcement, which says the proposal it announces, so that every reply
// below it belongs to that proposal. It is a leaf, for the packages that
// link to an announcement (the pages, the SUPPORT.md patch) without reading
// mail.
package msgid

import "regexp"

// Announcement is the Message-ID of pvczar's announcement of a proposal, at
// domain.
func Announcement(proposal, domain string) string {
	return "pvczar.proposal." + proposal + "@" + domain
}

var announcementPattern = regexp.MustCompile(`^pvczar\.proposal\.([a-z0-9][a-z0-9._-]*-[0-9]+)@`)

// AnnouncedProposal returns the proposal a Message-ID announces, if it is
// one of pvczar's announcements.
func AnnouncedProposal(messageID string) (string, bool) {
	m := announcementPattern.FindStringSubmatch(messageID)
	if m == nil {
		return "", false
	}
	return m[1], true
}
