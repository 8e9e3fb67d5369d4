package http

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// atomFeed is an Atom 1.0 feed (RFC 4287) of the latest events.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Link    []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Author  string   `xml:"author>name"`
	Link    atomLink `xml:"link"`
	Summary string   `xml:"summary"`
}

func (s *Server) atomFeed(w http.ResponseWriter, r *http.Request) {
	events, _, err := s.recentEvents(r, 50)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	base := "http://" + r.Host
	if r.TLS != nil || s.opts.SecureCookies {
		base = "https://" + r.Host
	}
	feed := atomFeed{ID: base + "/activity", Title: "pvczar: PV protocol lifecycle activity",
		Updated: time.Unix(0, 0).UTC().Format(time.RFC3339),
		Link:    []atomLink{{Rel: "self", Href: base + "/activity.atom"}, {Rel: "alternate", Href: base + "/activity"}}}
	for i, e := range events {
		if i == 0 {
			feed.Updated = e.At.UTC().Format(time.RFC3339)
		}
		link := base + "/activity"
		if id := e.Data.Proposal; id != "" {
			link = base + "/proposals/" + id
		} else if p := e.ProtocolID(); p != "" {
			link = base + "/protocols/" + p
		}
		feed.Entries = append(feed.Entries, atomEntry{ID: base + "/events/" + strconv.FormatInt(e.Seq, 10),
			Title: e.Actor + ": " + e.Describe(), Updated: e.At.UTC().Format(time.RFC3339), Author: e.Actor,
			Link: atomLink{Href: link}, Summary: e.Describe() + " (" + pvczar.FormatUTC(e.At) + ", via " + e.Source + ")"})
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Write([]byte(xml.Header))
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(feed); err != nil {
		s.log.Error("atom feed", "err", err)
	}
}
