// Command load is an HTTP load generator for benchmarks of the pvczar web
// server. It keeps -c requests in flight for -d and prints one markdown table
// row: the requests sent, the 2xx responses per second, the latency of the
// responses (p50, p90, p99, max) and the errors.
//
//	go run ./bench/load -c 16 -d 10s -name board http://127.0.0.1:18080/
//	go run ./bench/load -name comment -method POST -body '{"kind":"comment","text":"hi"}' \
//	    -header 'Authorization: Bearer X' -header 'Content-Type: application/json' -urls FILE
//
// With -urls, requests rotate over the URLs of FILE (one a line; blank lines
// and lines starting with # are skipped), which spreads reads over many pages
// and writes over many records. A response whose status is not 2xx and a
// request that fails in transport are errors: they are counted in the row,
// the first one is described, and load exits with status 1.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// headers collects repeated -header flags.
type headers []string

func (h *headers) String() string { return strings.Join(*h, ", ") }

func (h *headers) Set(v string) error {
	name, _, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want 'Name: value', got %q", v)
	}
	*h = append(*h, v)
	return nil
}

// config is what one run does.
type config struct {
	concurrency int
	duration    time.Duration
	timeout     time.Duration
	method      string
	body        []byte
	header      http.Header
	urls        []string
}

func main() {
	var (
		c    config
		hs   headers
		name = flag.String("name", "", "the row's name (default: the URL)")
		body = flag.String("body", "", "the request body")
		file = flag.String("urls", "", "a `file` of URLs, one a line, to rotate over instead of the URL argument")
		head = flag.Bool("header-row", false, "print the table's header before the row")
	)
	flag.IntVar(&c.concurrency, "c", 16, "requests in flight")
	flag.DurationVar(&c.duration, "d", 10*time.Second, "how long to send requests")
	flag.DurationVar(&c.timeout, "timeout", 30*time.Second, "the longest one request may take")
	flag.StringVar(&c.method, "method", http.MethodGet, "the HTTP method")
	flag.Var(&hs, "header", "a request header 'Name: value' (repeatable)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: load [flags] URL | load [flags] -urls FILE")
		flag.PrintDefaults()
	}
	flag.Parse()
	var err error
	switch {
	case c.concurrency < 1 || c.duration <= 0:
		err = errors.New("-c and -d must be positive")
	case *file != "" && flag.NArg() == 0:
		c.urls, err = readURLs(*file)
	case *file == "" && flag.NArg() == 1:
		c.urls = flag.Args()
		err = checkURL(c.urls[0])
	default:
		err = errors.New("give one URL or -urls FILE")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		flag.Usage()
		os.Exit(2)
	}
	c.body = []byte(*body)
	c.header = http.Header{}
	for _, h := range hs {
		k, v, _ := strings.Cut(h, ":")
		c.header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if *name == "" {
		*name = c.urls[0]
	}

	res := run(c)
	if *head {
		fmt.Println("| name | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | errors |")
		fmt.Println("|---|---:|---:|---:|---:|---:|---:|---|")
	}
	fmt.Println(res.row(*name))
	if res.errors > 0 {
		fmt.Fprintf(os.Stderr, "load: %s: %d of %d requests failed; the first: %s\n", *name, res.errors, res.requests, res.firstError)
		os.Exit(1)
	}
}

// readURLs reads a file of URLs, one a line.
func readURLs(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var urls []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := checkURL(line); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		urls = append(urls, line)
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("%s holds no URL", path)
	}
	return urls, sc.Err()
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

// result sums up a run.
type result struct {
	requests   int    // sent
	errors     int    // non-2xx responses and failed requests
	firstError string // a description of the first error
	elapsed    time.Duration
	latencies  []time.Duration // of every request answered, sorted
}

// run keeps c.concurrency requests in flight until c.duration has passed,
// then waits for the ones in flight.
func run(c config) result {
	client := &http.Client{
		Timeout: c.timeout,
		Transport: &http.Transport{
			MaxIdleConns:        c.concurrency,
			MaxIdleConnsPerHost: c.concurrency,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
	var (
		next     atomic.Uint64 // the index of the next URL
		mu       sync.Mutex    // guards res
		res      result
		first    sync.Once // records the first error
		wg       sync.WaitGroup
		began    = time.Now()
		deadline = began.Add(c.duration)
	)
	for range c.concurrency {
		wg.Go(func() {
			var mine []time.Duration
			var sent, errs int
			for time.Now().Before(deadline) {
				u := c.urls[(next.Add(1)-1)%uint64(len(c.urls))]
				took, err := do(client, c, u)
				sent++
				if took > 0 {
					mine = append(mine, took)
				}
				if err != nil {
					first.Do(func() {
						mu.Lock()
						defer mu.Unlock()
						res.firstError = err.Error()
					})
					errs++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			res.latencies = append(res.latencies, mine...)
			res.requests += sent
			res.errors += errs
		})
	}
	wg.Wait()
	res.elapsed = time.Since(began)
	slices.Sort(res.latencies)
	return res
}

// do sends one request to u and reads the whole response, so that the
// connection is reused. It returns how long that took (0 when the request
// failed in transport) and an error for a failure or a non-2xx status.
func do(client *http.Client, c config, u string) (time.Duration, error) {
	var body io.Reader
	if len(c.body) > 0 {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, u, body)
	if err != nil {
		return 0, err
	}
	req.Header = c.header.Clone()
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		_, err = io.Copy(io.Discard, resp.Body)
		return time.Since(t0), err
	}
	text, err := io.ReadAll(io.LimitReader(resp.Body, 300))
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	took := time.Since(t0)
	if err != nil {
		return took, fmt.Errorf("%s %s: %s, then %w", c.method, u, resp.Status, err)
	}
	return took, fmt.Errorf("%s %s: %s: %s", c.method, u, resp.Status, strings.Join(strings.Fields(string(text)), " "))
}

// row formats the result as a markdown table row. Its req/s counts the
// requests answered with a 2xx status; the latencies are those of every
// request answered, whatever its status.
func (r result) row(name string) string {
	ms := func(q float64) string {
		if len(r.latencies) == 0 {
			return "-"
		}
		i := max(0, int(q*float64(len(r.latencies))+0.5)-1) // nearest rank
		return fmt.Sprintf("%.2f", float64(r.latencies[min(i, len(r.latencies)-1)].Microseconds())/1000)
	}
	errs := "0"
	if r.errors > 0 {
		first := strings.ReplaceAll(r.firstError, "|", `\|`)
		if len(first) > 160 {
			first = first[:157] + "..."
		}
		errs = fmt.Sprintf("**%d** (first: %s)", r.errors, first)
	}
	ok := float64(r.requests-r.errors) / r.elapsed.Seconds()
	return fmt.Sprintf("| %s | %d | %.0f | %s | %s | %s | %s | %s |", name, r.requests, ok,
		ms(0.50), ms(0.90), ms(0.99), ms(1), errs)
}
