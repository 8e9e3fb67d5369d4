package http

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/xen-pvczar/pvczar"
)

// A form of the pages posts to /ui and the route of its command. Each form
// carries its name in a hidden field "form", so that a refused form can be
// shown again, on the page it was on, with what was typed and the reason
// beside it.

// refusal is a form the rules refused: which form, what was typed in it,
// and why it was refused.
type refusal struct {
	Form    string
	Values  url.Values
	Message string
}

type refusalKey struct{}

func refusalOf(ctx context.Context) *refusal {
	f, _ := ctx.Value(refusalKey{}).(*refusal)
	return f
}

// Kept is what was typed in field of the refused form named form, to show
// it again; "" on any other form.
func (v view) Kept(form, field string) string {
	if v.Refused == nil || v.Refused.Form != form {
		return ""
	}
	return v.Refused.Values.Get(field)
}

// RefusedIn is why the form named form was refused, or "".
func (v view) RefusedIn(form string) string {
	if v.Refused == nil || v.Refused.Form != form {
		return ""
	}
	return v.Refused.Message
}

// CanRegister tells whether the signed-in person may register protocols.
func (v view) CanRegister() bool {
	return v.User != nil && pvczar.Permit(v.User, nil, pvczar.EventProtocolRegistered) == nil
}

// formCommand runs a command posted by a form of the web pages, then sends
// the browser back to the page it came from.
func (s *Server) formCommand(rt commandRoute) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e, err := s.runCommand(r, rt, pvczar.SourceWeb, func() (pvczar.EventData, error) {
			if err := parseForm(r); err != nil {
				return pvczar.EventData{}, err
			}
			if err := checkCSRF(r); err != nil {
				return pvczar.EventData{}, err
			}
			return formData(rt, r)
		})
		if err != nil {
			s.formRefused(w, r, err, formBack(r, e.Data))
			return
		}
		back := formBack(r, e.Data)
		if rt.Type == pvczar.EventProtocolRegistered {
			back = "/protocols/" + url.PathEscape(e.Data.Protocol)
		}
		http.Redirect(w, r, back+"?done="+url.QueryEscape(e.Describe()), http.StatusSeeOther)
	}
}

// formRefused answers a form that could not be carried out. A refusal by
// the rules shows the page of the form again (422), with what was typed and
// the reason beside the form; security refusals (no session, a bad CSRF
// token, a role that may not) and failures get the error page, which keeps
// the signed-in header too.
func (s *Server) formRefused(w http.ResponseWriter, r *http.Request, err error, back string) {
	switch pvczar.ErrorCode(err) {
	case pvczar.EINVALID, pvczar.ECONFLICT, pvczar.ESTALE, pvczar.ENOTFOUND:
		if userOf(r.Context()) != "" && !isStatusError(err) {
			s.showAgain(w, r, back, &refusal{Form: r.PostFormValue("form"), Values: r.PostForm, Message: pvczar.ErrorMessage(err)})
			return
		}
	}
	s.fail(w, r, err)
}

// showAgain renders the page at path, as a GET of it would, with the
// refused form filled in again and the status 422.
func (s *Server) showAgain(w http.ResponseWriter, r *http.Request, path string, f *refusal) {
	get := r.Clone(context.WithValue(r.Context(), refusalKey{}, f))
	get.Method, get.Body, get.ContentLength = http.MethodGet, http.NoBody, 0
	get.URL = &url.URL{Path: path}
	get.RequestURI = path
	h, pattern := s.mux.Handler(get)
	if pattern == "" {
		get.URL.Path = "/"
		h, _ = s.mux.Handler(get)
	}
	h.ServeHTTP(&refusedWriter{ResponseWriter: w}, get)
}

// refusedWriter turns a page's 200 into 422: the form it shows was refused.
type refusedWriter struct{ http.ResponseWriter }

func (w *refusedWriter) WriteHeader(status int) {
	if status == http.StatusOK {
		status = http.StatusUnprocessableEntity
	}
	w.ResponseWriter.WriteHeader(status)
}

// parseForm reads a form, and a multipart one with its uploaded files (a
// design document, a spec) within the route's body limit.
func parseForm(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(maxEvidenceBytes); err != nil {
			return pvczar.Errorf(pvczar.EINVALID, "the form could not be read: %v", err)
		}
		return nil
	}
	return r.ParseForm()
}

// uploads are the file fields of forms, and the text fields they fill
// when the text field is left empty.
var uploads = map[string]string{"doc_text": "doc_file", "spec_text": "spec_file"}

// conformanceUpload is the implementation form's file field: the result
// of a conformance run.
const conformanceUpload = "conformance_file"

// formData turns a form into a command's data, by way of the route's JSON
// fields, so that forms obey the same rules as the API.
func formData(rt commandRoute, r *http.Request) (pvczar.EventData, error) {
	form := r.PostForm
	body := map[string]any{}
	for _, f := range rt.Fields {
		v := strings.TrimSpace(form.Get(f))
		if v == "" && uploads[f] != "" {
			text, err := uploaded(r, uploads[f])
			if err != nil {
				return pvczar.EventData{}, err
			}
			if strings.TrimSpace(text) != "" {
				v = text // as uploaded, byte for byte
			}
		}
		if v == "" && f != "implementation" {
			continue
		}
		switch f {
		case "owners":
			body[f] = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
		case "aliases": // names may have spaces: "PV Calls"
			var names []string
			for _, a := range strings.Split(v, ",") {
				if a = strings.TrimSpace(a); a != "" {
					names = append(names, a)
				}
			}
			body[f] = names
		case "days":
			n, err := strconv.Atoi(v)
			if err != nil {
				return pvczar.EventData{}, pvczar.Errorf(pvczar.EINVALID, "days: want a whole number, got %q", v)
			}
			body[f] = n
		case "since":
			at, err := pvczar.ParseTime(v)
			if err != nil {
				return pvczar.EventData{}, pvczar.Errorf(pvczar.EINVALID, "since: %s", pvczar.ErrorMessage(err))
			}
			body[f] = at
		case "implementation":
			impl, err := formImplementation(r)
			if err != nil {
				return pvczar.EventData{}, err
			}
			body[f] = impl
		default:
			body[f] = v
		}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return pvczar.EventData{}, err
	}
	return decodeCommand(rt, raw)
}

// uploaded returns the text of the file uploaded in field, or "".
func uploaded(r *http.Request, field string) (string, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File[field]) == 0 {
		return "", nil
	}
	f, err := r.MultipartForm.File[field][0].Open()
	if err != nil {
		return "", pvczar.Errorf(pvczar.EINVALID, "%s: the uploaded file could not be read: %v", field, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxEvidenceBytes+1))
	if err != nil {
		return "", pvczar.Errorf(pvczar.EINVALID, "%s: the uploaded file could not be read: %v", field, err)
	}
	if len(b) > maxEvidenceBytes {
		return "", pvczar.Errorf(pvczar.EINVALID, "%s: the uploaded file is larger than %d bytes", field, maxEvidenceBytes)
	}
	return string(b), nil
}

// formImplementation reads an implementation from the fields of its form:
// code_base, side, name, support, review, upstream_commit, one patch
// series (series_message_id, series_version), and a conformance: the spec
// version it conforms to (conforms) with features (comma-separated), or
// the uploaded result of a conformance run (conformance_file), or both.
func formImplementation(r *http.Request) (pvczar.Implementation, error) {
	get := func(f string) string { return strings.TrimSpace(r.PostForm.Get(f)) }
	impl := pvczar.Implementation{CodeBase: get("code_base"), Side: get("side"), Name: get("name"), Support: get("support"),
		Review: get("review"), UpstreamCommit: get("upstream_commit")}
	if id := get("series_message_id"); id != "" {
		v, err := strconv.Atoi(get("series_version"))
		if err != nil {
			return impl, pvczar.Errorf(pvczar.EINVALID, "series_version: want the series' version, a whole number, got %q", get("series_version"))
		}
		impl.Series = []pvczar.Series{{MessageID: id, Version: v}}
	}
	var conf pvczar.Conformance
	if v := strings.TrimPrefix(get("conforms"), "v"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return impl, pvczar.Errorf(pvczar.EINVALID, "conforms: want a version of the protocol's spec, e.g. 2, got %q", get("conforms"))
		}
		conf.SpecVersion = n
	}
	for _, f := range strings.Split(get("features"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			conf.Features = append(conf.Features, f)
		}
	}
	text, err := uploaded(r, conformanceUpload)
	if err != nil {
		return impl, err
	}
	if strings.TrimSpace(text) != "" {
		if conf.Run, err = pvczar.ParseConformanceRun([]byte(text)); err != nil {
			return impl, err
		}
	}
	switch {
	case conf.SpecVersion != 0 || conf.Run != nil:
		impl.Conformance = []pvczar.Conformance{conf}
	case conf.Features != nil:
		return impl, pvczar.Errorf(pvczar.EINVALID, "features: name the spec version they are of (conforms), or upload a conformance run's result")
	}
	return impl, nil
}

// formBack is the page a form's command returns to: the page the form was
// on, else the command's proposal or protocol, else the board.
func formBack(r *http.Request, d pvczar.EventData) string {
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host && strings.HasPrefix(ref.Path, "/") && !strings.HasPrefix(ref.Path, "/ui/") {
		return ref.Path
	}
	switch {
	case d.Proposal != "":
		return "/proposals/" + url.PathEscape(d.Proposal)
	case d.Protocol != "":
		return "/protocols/" + url.PathEscape(d.Protocol)
	case r.PathValue("proposal") != "":
		return "/proposals/" + url.PathEscape(r.PathValue("proposal"))
	case r.PathValue("protocol") != "":
		return "/protocols/" + url.PathEscape(r.PathValue("protocol"))
	case strings.HasPrefix(r.URL.Path, "/ui/absences"):
		return "/away"
	}
	return "/"
}
