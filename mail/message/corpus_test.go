package message_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/mail"
	"github.com/xen-pvczar/pvczar/mail/mbox"
	"github.com/xen-pvczar/pvczar/mail/message"
)

// countScript computes, with Python's standard mailbox and email packages
// (the stack patchwork's parser is built on), what TestCorpusCounts checks:
// messages, messages with a Message-ID, distinct ids, threads (connected
// groups of ids linked by References and In-Reply-To, as JWZ links them),
// and trailer lines in the plain-text part by the rules of mail.ReadText.
const countScript = `
import sys, gzip, mailbox, email, email.policy, re, tempfile, shutil, os
trailer = re.compile(r'^(acked-by|reviewed-by|tested-by|nacked-by):\s*(.*?)\s*$', re.I)
msgid = re.compile(r'<([^<>\s]+)>')
tmp = tempfile.NamedTemporaryFile(delete=False)
with gzip.open(sys.argv[1]) as f: shutil.copyfileobj(f, tmp)
tmp.close()
box = mailbox.mbox(tmp.name, factory=None, create=False)
n = with_id = trailers = 0; ids = set(); present = []; parent = {}
def find(x):
    while parent.setdefault(x, x) != x:
        parent[x] = parent[parent[x]]; x = parent[x]
    return x
def union(a, b): parent[find(a)] = find(b)
for key in box.iterkeys():
    raw = re.sub(rb'(?m)^>(>+From )', rb'\1', box.get_bytes(key))  # mboxrd: one more level than mailbox undoes
    m = email.message_from_bytes(raw, policy=email.policy.compat32)
    n += 1
    found = msgid.findall(str(m.get('Message-ID', '')))
    if not found: continue
    with_id += 1
    mid = found[0]
    if mid in ids: continue
    ids.add(mid); present.append(mid); find(mid)
    refs = msgid.findall(str(m.get('References', '')))[-100:]
    irt = msgid.findall(str(m.get('In-Reply-To', '')))
    if irt and (not refs or refs[-1] != irt[0]): refs.append(irt[0])
    refs = [r for r in refs if r != mid]
    for a, b in zip(refs, refs[1:]): union(a, b)
    if refs: union(refs[-1], mid)
    body = None
    for part in m.walk():
        if part.get_content_type() == 'text/plain' and not part.get_filename():
            data = part.get_payload(decode=True) or b''
            try: body = data.decode(part.get_content_charset() or 'utf-8', 'replace')
            except LookupError: body = data.decode('utf-8', 'replace')
            break
    for line in (body or '').split('\n'):
        line = line.rstrip('\r')
        if line in ('-- ', '---') or line.startswith('diff --git '): break
        if line.lstrip(' \t').startswith('>'): continue
        if trailer.match(line): trailers += 1
print(n, with_id, len(ids), len({find(x) for x in present}), trailers)
os.unlink(tmp.name)
`

func corpusPath() string {
	return os.Getenv("PVCZAR_CORPUS")
}

// TestCorpusCounts reads the 3,000 real messages and compares what it finds
// with what Python's standard library finds in the same file.
func TestCorpusCounts(t *testing.T) {
	path := corpusPath()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("the sample archive is not here (%v); set PVCZAR_CORPUS", err)
	}
	defer f.Close()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not here: nothing to compare with")
	}
	out, err := exec.Command(python, "-c", countScript, path).Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	want := strings.TrimSpace(string(out))

	r, err := mbox.NewReader(f, path, mbox.Auto)
	if err != nil {
		t.Fatal(err)
	}
	var mails []message.Mail
	n, withID, trailers := 0, 0, 0
	seen := map[string]bool{}
	for {
		raw, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		m, err := message.Parse(raw.Raw)
		if err != nil {
			t.Errorf("message at line %d: %v", raw.Line, err)
			continue
		}
		if m.DerivedID {
			continue
		}
		withID++
		if seen[m.MessageID] {
			continue
		}
		seen[m.MessageID] = true
		mails = append(mails, m)
		tr, _ := mail.ReadText(m.Body, m.From)
		trailers += len(tr)
	}
	got := fmt.Sprintf("%d %d %d %d %d", n, withID, len(seen), len(jwzThreads(mails)), trailers)
	if got != want {
		t.Fatalf("messages, with ids, distinct ids, threads, trailers:\n pvczar %s\n python %s", got, want)
	}
	t.Logf("messages, with ids, distinct ids, threads, trailers: %s", got)
}
