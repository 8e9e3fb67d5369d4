#!/usr/bin/env bash
# Shows that a full `pvczar mail ingest` into SQLite costs the same per
# message however large the archive: for each size in BENCH_SIZES (copies
# of the sample corpus, default "10 33 100 333": 30,000 to 999,000
# messages, 3.6 to 11 GB), it generates the archive with bench/mailgen (ids
# rewritten per copy), ingests it into a new SQLite file under
# /usr/bin/time, and prints seconds, CPU seconds, microseconds per message
# and peak RSS. Each archive and database is removed after its run (the
# largest take about 11 GB and 9 GB: check `df -h` first). PVCZAR_BIN runs
# another pvczar binary instead of this tree's.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${PVCZAR_CORPUS:?set PVCZAR_CORPUS to a list archive (mbox or .mbox.gz)}
out=bench/out
mkdir -p $out
go build -o $out/mailgen ./bench/mailgen
bin=${PVCZAR_BIN:-$out/pvczar}
[[ -n ${PVCZAR_BIN:-} ]] || go build -o $out/pvczar ./cmd/pvczar

echo "mail ingest at scale, $(date -u '+%Y-%m-%d %H:%M UTC'): the corpus $(basename "$corpus") repeated, $(nproc) CPUs, $(go version | cut -d' ' -f3), $bin"
echo
echo "| copies | messages | archive MB | seconds | CPU seconds | µs per message (wall) | µs per message (CPU) | peak RSS MB | database MB |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for copies in ${BENCH_SIZES:-10 33 100 333}; do
	archive=$out/scale-x$copies.mbox
	$out/mailgen "$corpus" "$copies" >$archive
	mb=$(du -m $archive | cut -f1)
	rm -f $out/scale.db*
	$bin init --czar bench --db $out/scale.db >/dev/null 2>&1
	n=$(/usr/bin/time -f '%e %M %U %S' -o $out/scale-time.txt $bin mail ingest $archive --db $out/scale.db --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["new"])')
	read -r secs kb user sys <$out/scale-time.txt
	dbmb=$(du -cm $out/scale.db* | tail -1 | cut -f1)
	awk -v c="$copies" -v n="$n" -v mb="$mb" -v s="$secs" -v u="$user" -v sy="$sys" -v kb="$kb" -v db="$dbmb" \
		'BEGIN { printf "| %d | %d | %d | %.1f | %.1f | %.0f | %.0f | %d | %d |\n", c, n, mb, s, u + sy, s * 1e6 / n, (u + sy) * 1e6 / n, kb / 1024, db }'
	rm -f $archive $out/scale.db*
done
