#!/usr/bin/env bash
# Backups and moves of a large registry: export, import-log into a new
# SQLite file (and, with a PostgreSQL DSN, into a new schema), the export of
# the imported database, and backup while nothing writes; against two
# baselines of the same run: audit verify (the refold every import and
# backup ends with) and cp of the database file.
#
#   bash bench/log.sh            # PostgreSQL too when PVCZAR_TEST_POSTGRES is set (needs psql)
#
# Uses bench/out/bench.db, which bench/serve.sh makes with bench/gendb
# (generated here when missing). RUNS (default 3) sets the runs per step.
# Every imported log must export byte for byte as the original.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
out=bench/out
db=$out/bench.db
mkdir -p $out
go build -o $out/pvczar ./cmd/pvczar
if [[ ! -f $db ]]; then
  go build -o $out/gendb ./bench/gendb
  $out/gendb -replace -db $db
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pg=${PVCZAR_TEST_POSTGRES:-}
export PGOPTIONS=--client-min-messages=warning # no notice per dropped table

source bench/lib.sh # seconds

$out/pvczar export --db $db --out "$work/log.jsonl" >/dev/null
events=$(wc -l <"$work/log.jsonl")
rm -f "$work/times"
for i in $(seq "$runs"); do
  echo "audit-verify $(seconds $out/pvczar audit verify --db $db)" >>"$work/times"
  echo "cp $(seconds cp $db "$work/cp.db")" >>"$work/times"
  rm -f "$work/cp.db" "$work/out.jsonl"
  echo "export $(seconds $out/pvczar export --db $db --out "$work/out.jsonl")" >>"$work/times"
  rm -f "$work/new.db"*
  echo "import-log-sqlite $(seconds $out/pvczar import-log "$work/log.jsonl" --db "$work/new.db")" >>"$work/times"
  $out/pvczar export --db "$work/new.db" | cmp - "$work/log.jsonl"
  rm -f "$work/backup.db"
  echo "backup $(seconds $out/pvczar backup "$work/backup.db" --db $db)" >>"$work/times"
  if [[ -n $pg ]]; then
    schema=pvczar_bench_$$_$i
    psql -q "$pg" -c "CREATE SCHEMA $schema"
    target="$pg&search_path=$schema"
    [[ $pg == *\?* ]] || target="$pg?search_path=$schema"
    echo "import-log-postgres $(seconds $out/pvczar import-log "$work/log.jsonl" --db "$target")" >>"$work/times"
    echo "export-postgres $(seconds $out/pvczar export --db "$target")" >>"$work/times"
    $out/pvczar export --db "$target" | cmp - "$work/log.jsonl"
    psql -q "$pg" -c "DROP SCHEMA $schema CASCADE"
  fi
done
echo "$db: $events events, $(du -m $db | cut -f1) MB; log $(du -m "$work/log.jsonl" | cut -f1) MB; $runs runs"
python3 - "$work/times" <<'PY'
import statistics, sys
times = {}
for line in open(sys.argv[1]):
    name, s = line.split()
    times.setdefault(name, []).append(int(s) / 1e9)
base = statistics.median(times["audit-verify"])
print("| step | median s | min–max s | × audit verify |")
print("|---|---:|---:|---:|")
for name, s in times.items():
    med = statistics.median(s)
    print(f"| {name} | {med:.2f} | {min(s):.2f}–{max(s):.2f} | {med / base:.2f} |")
PY
