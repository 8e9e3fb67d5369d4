#!/usr/bin/env bash
# The spec tools on a generated spec of 500 messages and 5,000 fields
# (pvspec/bench_test.go): decode is the baseline every command starts with;
# each tool's time is shown alone and with the decoding its command adds
# (two files for diff).
# The aim: each command well under 100 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
go test ./pvspec -run '^$' -bench BenchmarkSpec -benchtime 20x -count "$runs" |
python3 -c '
import re, statistics, sys
times = {}
for line in sys.stdin:
    m = re.match(r"BenchmarkSpec/(\S+?)-\d+\s+\d+\s+(\d+) ns/op", line)
    if m:
        times.setdefault(m.group(1), []).append(int(m.group(2)) / 1e6)
base = statistics.median(times["decode"])
n = len(times["decode"])
print(f"| step | median ms (of {n}) | min–max ms | with decode, ms | × decode |")
print("|---|---:|---:|---:|---:|")
for name, ms in times.items():
    med = statistics.median(ms)
    total = med + base * {"decode": 0, "diff": 2}.get(name, 1)  # diff reads two specs
    print(f"| {name} | {med:.1f} | {min(ms):.1f}–{max(ms):.1f} | {total:.1f} | {med / base:.2f} |")
'

# spec diff on 10,000 changed fields (BenchmarkDiffChangedFields): every
# field of a 10,000-field struct renamed and half of them retyped, against
# the baseline of decoding the two specs. The aim (issue 12): under 1 s.
echo
go test ./pvspec -run '^$' -bench BenchmarkDiffChangedFields -benchtime 10x -count "$runs" |
python3 -c '
import re, statistics, sys
times = {}
for line in sys.stdin:
    m = re.match(r"BenchmarkDiffChangedFields/(\S+?)-\d+\s+\d+\s+(\d+) ns/op", line)
    if m:
        times.setdefault(m.group(1), []).append(int(m.group(2)) / 1e6)
base = statistics.median(times["decode"])
n = len(times["decode"])
print(f"| 10,000 changed fields | median ms (of {n}) | min–max ms | × decode |")
print("|---|---:|---:|---:|")
for name, ms in times.items():
    med = statistics.median(ms)
    print(f"| {name} | {med:.1f} | {min(ms):.1f}–{max(ms):.1f} | {med / base:.2f} |")
'
