#!/usr/bin/env bash
# pvczar and xen.git: a full import into a new SQLite database, a second
# import (which adds nothing) and xen check on the head, each against the
# baseline of a bare `git log --raw` over the same paths; and spec history
# against a `git log -p` of the io headers; all in the same run.
# Usage: bash bench/xen.sh [REPO]   (default $PVCZAR_XEN_GIT)
# The aims: a full import within 3x of the git log and xen check under 2 s
# (issue 11); spec history under 60 s (issue 12).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=${1:-${PVCZAR_XEN_GIT:?give a xen.git repository or set PVCZAR_XEN_GIT}}
runs=${RUNS:-7}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/pvczar" ./cmd/pvczar

source bench/lib.sh # seconds

commits=$(git -C "$repo" log --format=%H -- SUPPORT.md MAINTAINERS xen/include/public/io docs/misc | wc -l)
rm -f "$out/times"
for i in $(seq "$runs"); do
  echo "git-log $(seconds git -C "$repo" log --raw --no-renames --no-abbrev --format='commit %H %ct %aE' -- SUPPORT.md MAINTAINERS xen/include/public/io docs/misc)" >>"$out/times"
  rm -f "$out/x.db"*
  echo "import $(seconds "$out/pvczar" xen import "$repo" --db "$out/x.db")" >>"$out/times"
  echo "import-again $(seconds "$out/pvczar" xen import "$repo" --db "$out/x.db")" >>"$out/times"
  echo "check $(seconds bash -c "\"$out/pvczar\" xen check \"$repo\" 2>/dev/null || [ \$? -eq 6 ]")" >>"$out/times"
  echo "git-log-p $(seconds git -C "$repo" log -p --format='commit %H %ct %aE' -- 'xen/include/public/io/*.h')" >>"$out/times"
  echo "spec-history $(seconds "$out/pvczar" spec history "$repo" --format json)" >>"$out/times"
done
echo "xen.git at $(git -C "$repo" rev-parse --short=12 HEAD): $commits commits touch SUPPORT.md, MAINTAINERS, xen/include/public/io and docs/misc; $runs runs"
python3 - "$out/times" <<'PY'
import statistics, sys
times = {}
for line in open(sys.argv[1]):
    name, s = line.split()
    times.setdefault(name, []).append(int(s) / 1e9)
baseline = {"spec-history": "git-log-p", "git-log-p": "git-log-p"}  # the others: git-log
print("| step | median s | min–max s | baseline | × baseline |")
print("|---|---:|---:|---|---:|")
for name, s in times.items():
    med = statistics.median(s)
    base = baseline.get(name, "git-log")
    print(f"| {name} | {med:.3f} | {min(s):.3f}–{max(s):.3f} | {base} | {med / statistics.median(times[base]):.2f} |")
PY
