package main

import (
	"context"
	"flag"
	"fmt"
	"html/template"
	"io"
	"os"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/pvspec"
	"github.com/xen-pvczar/pvczar/specimport"
	"github.com/xen-pvczar/pvczar/xen"
)

func init() {
	register(&command{
		name: "spec history", fileOnly: true, args: "REPO [PATH...]",
		summary: "judge every change in the history of Xen's PV ABI: each commit that touched an io header, imported before and after and diffed; markdown, json or html",
		read:    true, nargs: [2]int{1, -1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.rev, "rev", "HEAD", "the last revision to read")
			fs.StringVar(&o.since, "since", "", "read only the commits after this revision")
			fs.StringVar(&o.format, "format", "markdown", "markdown, json or html")
		},
		run: runSpecHistory,
	})
}

// abiChange is the verdict on one commit's change to one header.
type abiChange struct {
	Commit   string          `json:"commit"`
	Date     time.Time       `json:"date"`
	Author   string          `json:"author"`
	Header   string          `json:"header"`
	Protocol string          `json:"protocol"`
	Verdict  string          `json:"verdict"` // a pvspec verdict at production, or added, removed, unreadable
	Counts   map[string]int  `json:"counts"`  // findings by severity
	Changes  []pvspec.Change `json:"changes"`
	Error    string          `json:"error,omitempty"` // why a side could not be read
}

// historyReport is what spec history prints.
type historyReport struct {
	Repo     string         `json:"repo"`
	Rev      string         `json:"rev"`
	Since    string         `json:"since,omitempty"`
	Commits  int            `json:"commits"`
	Verdicts map[string]int `json:"verdicts"`
	Changes  []abiChange    `json:"changes"`
}

// Verdicts of history entries that are not pvspec verdicts.
const (
	verdictAdded      = "added"
	verdictRemoved    = "removed"
	verdictUnreadable = "unreadable"
)

func runSpecHistory(ctx context.Context, c *cli, args []string) error {
	format := c.opts.format
	if c.json {
		format = "json"
	}
	if format != "markdown" && format != "json" && format != "html" {
		return pvczar.Errorf(pvczar.EINVALID, "--format %q: want markdown, json or html", format)
	}
	repo, err := xen.OpenRepo(ctx, args[0])
	if err != nil {
		return err
	}
	paths := args[1:]
	if len(paths) == 0 {
		paths = []string{xen.HeaderDir + "*.h"}
	}
	changes, err := repo.FileChanges(ctx, c.opts.rev, c.opts.since, paths...)
	if err != nil {
		return err
	}
	var headers []xen.FileChange
	for _, ch := range changes {
		if strings.HasSuffix(ch.Path, ".h") {
			headers = append(headers, ch)
		}
	}
	var bar *progressbar.ProgressBar
	if f, ok := c.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar = progressbar.NewOptions(len(headers), progressbar.OptionSetWriter(f), progressbar.OptionSetDescription("judging header changes"),
			progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	}
	report := historyReport{Repo: args[0], Rev: c.opts.rev, Since: c.opts.since, Verdicts: map[string]int{}, Changes: make([]abiChange, len(headers))}
	// Each version of a header is imported once (the after of one change
	// is the before of the next), and each change diffed on its own: on
	// every core.
	imports := importCache{}
	for _, h := range headers {
		imports[h.OldBlob+" "+h.Path] = &headerImport{}
		imports[h.NewBlob+" "+h.Path] = &headerImport{}
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				report.Changes[i] = judgeHeaderChange(headers[i], imports)
				if bar != nil {
					bar.Add(1)
				}
			}
		}()
	}
	for i := range headers {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if bar != nil {
		bar.Finish()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	commits := map[string]bool{}
	for _, ch := range report.Changes {
		commits[ch.Commit] = true
		report.Verdicts[ch.Verdict]++
	}
	report.Commits = len(commits)
	switch format {
	case "json":
		return printJSON(c.stdout, report)
	case "html":
		return historyPage.Execute(c.stdout, report)
	}
	printHistory(c.stdout, report)
	return nil
}

// headerImport is one version of a header, imported once.
type headerImport struct {
	once sync.Once
	spec *pvspec.Spec
	err  error
}

// importCache holds the imports by blob id and path; its keys are set
// before the workers start, so that they only read the map.
type importCache map[string]*headerImport

func (ic importCache) get(blob, file string, src []byte) (*pvspec.Spec, error) {
	h := ic[blob+" "+file]
	h.once.Do(func() {
		var r *specimport.Result
		if r, h.err = specimport.Import(file, src, headerID(file)); h.err == nil {
			h.spec = r.Spec
		}
	})
	return h.spec, h.err
}

func headerID(file string) string { return strings.TrimSuffix(path.Base(file), ".h") }

// judgeHeaderChange diffs the imports of both sides of a header change,
// judging at production: would the change break peers of the other age
// once the ABI is promised.
func judgeHeaderChange(fc xen.FileChange, imports importCache) abiChange {
	out := abiChange{Commit: fc.Commit.ID, Date: fc.Commit.Date, Author: fc.Commit.Author, Header: fc.Path, Protocol: headerID(fc.Path), Counts: map[string]int{}, Changes: []pvspec.Change{}}
	switch {
	case fc.Old == nil:
		out.Verdict = verdictAdded
		return out
	case fc.New == nil:
		out.Verdict = verdictRemoved
		return out
	}
	read := func(side, blob string, src []byte) *pvspec.Spec {
		s, err := imports.get(blob, fc.Path, src)
		if err != nil {
			out.Error = strings.TrimSpace(out.Error + " " + side + ": " + err.Error())
			return nil
		}
		named := *s // shared between changes: findings name the side
		named.File = side + ":" + fc.Path
		return &named
	}
	old, new := read("before", fc.OldBlob, fc.Old), read("after", fc.NewBlob, fc.New)
	if old == nil || new == nil {
		out.Verdict = verdictUnreadable
		return out
	}
	if changes := pvspec.Diff(old, new); changes != nil {
		out.Changes = changes
	}
	for _, ch := range out.Changes {
		out.Counts[string(ch.Severity)]++
	}
	out.Verdict = string(pvspec.Judge(out.Changes, pvspec.StagePromised))
	return out
}

func printHistory(w io.Writer, r historyReport) {
	fmt.Fprintf(w, "# Changes to Xen's PV ABI\n\n%d header changes in %d commits of %s", len(r.Changes), r.Commits, r.Rev)
	if r.Since != "" {
		fmt.Fprintf(w, " since %s", r.Since)
	}
	fmt.Fprintf(w, ", each judged as if the protocol were in production.\n\n")
	var verdicts []string
	for v := range r.Verdicts {
		verdicts = append(verdicts, v)
	}
	sort.Strings(verdicts)
	fmt.Fprintln(w, "| verdict | header changes |\n|---|---:|")
	for _, v := range verdicts {
		fmt.Fprintf(w, "| %s | %d |\n", v, r.Verdicts[v])
	}
	fmt.Fprintln(w, "\n| date | commit | author | header | verdict | breaking | review | gated | rules |\n|---|---|---|---|---|---:|---:|---:|---|")
	for _, ch := range r.Changes {
		rules := map[string]bool{}
		var names []string
		for _, c := range ch.Changes {
			if c.Severity != pvspec.None && !rules[c.Rule] {
				rules[c.Rule] = true
				names = append(names, c.Rule)
			}
		}
		if ch.Error != "" {
			names = append(names, "error: "+strings.ReplaceAll(ch.Error, "|", "\\|"))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %d | %d | %d | %s |\n", ch.Date.Format("2006-01-02"), pvczar.ShortCommit(ch.Commit), ch.Author,
			path.Base(ch.Header), ch.Verdict, ch.Counts[string(pvspec.Breaking)], ch.Counts[string(pvspec.Review)], ch.Counts[string(pvspec.Gated)], strings.Join(names, ", "))
	}
}

var historyPage = template.Must(template.New("history").Funcs(template.FuncMap{
	"day":        func(t time.Time) string { return t.Format("2006-01-02") },
	"short":      pvczar.ShortCommit,
	"commitlink": pvczar.XenCommitURL,
	"base":       path.Base,
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Changes to Xen's PV ABI</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;vertical-align:top}
.breaking{background:#fbdcd8}.review-needed{background:#fde2b8}.compatible{background:#d5f0df}li{font-size:12px}</style></head>
<body><h1>Changes to Xen's PV ABI</h1>
<p>{{len .Changes}} header changes in {{.Commits}} commits of <code>{{.Rev}}</code>{{with .Since}} since <code>{{.}}</code>{{end}}, each judged as if the protocol were in production.</p>
<table><tr><th>verdict</th><th>header changes</th></tr>{{range $v, $n := .Verdicts}}<tr><td>{{$v}}</td><td>{{$n}}</td></tr>{{end}}</table>
<h2>Every change</h2>
<table><tr><th>date</th><th>commit</th><th>author</th><th>header</th><th>verdict</th><th>findings</th></tr>
{{range .Changes}}<tr class="{{.Verdict}}"><td>{{day .Date}}</td><td><a href="{{commitlink .Commit}}"><code>{{short .Commit}}</code></a></td><td>{{.Author}}</td><td>{{base .Header}}</td><td>{{.Verdict}}</td>
<td>{{with .Error}}{{.}}{{end}}<ul>{{range .Changes}}{{if ne .Severity "none"}}<li>{{.Severity}} {{.Rule}} {{.Path}}: {{.Reason}}</li>{{end}}{{end}}</ul></td></tr>
{{end}}</table></body></html>
`))
