"""The Python side of bench/mail.sh: the same work as bench/mailparse, with
Python's standard mailbox and email packages (the stack patchwork's parser
is built on): split, parse, thread (References/In-Reply-To), and extract
trailers and commands from the plain-text part. Prints one line: messages,
threads, trailers, commands, seconds, MB."""
import email, email.policy, mailbox, re, sys, time

start = time.time()
trailer = re.compile(r'^(acked-by|reviewed-by|tested-by|nacked-by):\s*(.*?)\s*$', re.I)
command = re.compile(r'^(objection|objection-resolved|objection-withdrawn):\s*(\S+)\s*$|^(hold|release)\s*$', re.I)
msgid = re.compile(r'<([^<>\s]+)>')
parent = {}

def find(x):
    while parent.setdefault(x, x) != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x

ids, trailers, commands, size = [], 0, 0, 0
for m in mailbox.mbox(sys.argv[1], factory=lambda f: email.message_from_binary_file(f, policy=email.policy.compat32), create=False):
    found = msgid.findall(str(m.get('Message-ID', '')))
    if not found:
        continue
    mid = found[0]
    ids.append(mid)
    refs = msgid.findall(str(m.get('References', '')))[-100:]
    irt = msgid.findall(str(m.get('In-Reply-To', '')))
    if irt and (not refs or refs[-1] != irt[0]):
        refs.append(irt[0])
    chain = [r for r in refs if r != mid] + [mid]
    for a, b in zip(chain, chain[1:]):
        parent[find(a)] = find(b)
    find(mid)
    for part in m.walk():
        if part.get_content_type() == 'text/plain' and not part.get_filename():
            data = part.get_payload(decode=True) or b''
            size += len(data)
            try:
                body = data.decode(part.get_content_charset() or 'utf-8', 'replace')
            except LookupError:
                body = data.decode('utf-8', 'replace')
            for line in body.split('\n'):
                line = line.rstrip('\r')
                if line in ('-- ', '---') or line.startswith('diff --git '):
                    break
                if line.lstrip(' \t').startswith('>'):
                    continue
                if trailer.match(line):
                    trailers += 1
                elif command.match(line):
                    commands += 1
            break
threads = len({find(x) for x in ids})
print(len(ids), threads, trailers, commands, '%.3f' % (time.time() - start), '%.1f' % (size / 1e6))
