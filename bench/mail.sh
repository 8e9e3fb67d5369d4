#!/usr/bin/env bash
# Benchmarks reading mail: pvczar's split+parse+thread+trailers (`pvczar mail
# ingest --dry-run`) against Python's standard mailbox+email doing the same
# (bench/mailparse.py, the baseline), on one archive built from the sample corpus repeated
# BENCH_COPIES times (default 5) with rewritten Message-IDs; then a full
# `pvczar mail ingest` of it into a new SQLite file. Prints a markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${PVCZAR_CORPUS:?set PVCZAR_CORPUS to a list archive (mbox or .mbox.gz)}
copies=${BENCH_COPIES:-5}
out=bench/out
mkdir -p $out
archive=$out/mail-x$copies.mbox
if [[ ! -f $archive ]]; then
	# Each copy gets its own Message-IDs (and references to them), so
	# threads and ids stay distinct as in a real, larger archive.
	go build -o $out/mailgen ./bench/mailgen
	$out/mailgen "$corpus" "$copies" >$archive.tmp
	mv $archive.tmp $archive
fi
go build -o $out/pvczar ./cmd/pvczar
mb=$(du -m $archive | cut -f1)

measure() { # NAME CMD... : runs it under /usr/bin/time, prints "output|seconds|peak MB|CPU seconds"
	local name=$1
	shift
	local res
	res=$(/usr/bin/time -f '%e %M %U %S' -o $out/time.txt "$@")
	read -r secs kb user sys <$out/time.txt
	echo "$name|$res|$secs|$((kb / 1024))|$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
}

# The dry run's JSON, as "messages threads trailers" like the Python side.
counts() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["new"], d["threads"], d["trailers"])'; }
export -f counts
go_row=$(measure pvczar bash -c "$out/pvczar mail ingest --dry-run --json $archive | counts" )
py_row=$(measure python python3 bench/mailparse.py $archive)
rm -f $out/ingest.db*
$out/pvczar init --czar bench --db $out/ingest.db >/dev/null 2>&1
ingest_row=$(measure ingest bash -c "$out/pvczar mail ingest $archive --db $out/ingest.db --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"new\"])'")

echo "mail benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'): $archive (${mb} MB, the corpus x$copies), $(nproc) CPUs, $(go version | cut -d' ' -f3), $(python3 --version)"
echo
echo "| run | messages | threads | trailers | seconds | CPU seconds | messages/s | MB/s | peak MB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for row in "$go_row" "$py_row"; do
	IFS='|' read -r name res secs peak cpu <<<"$row"
	read -r n threads trailers _ _ _ <<<"$res"
	awk -v name="$name" -v n="$n" -v th="$threads" -v tr="$trailers" -v s="$secs" -v mb="$mb" -v p="$peak" -v c="$cpu" \
		'BEGIN { printf "| %s parse+thread+trailers | %d | %d | %d | %.2f | %.2f | %.0f | %.1f | %d |\n", name, n, th, tr, s, c, n / s, mb / s, p }'
done
IFS='|' read -r _ n secs peak cpu <<<"$ingest_row"
awk -v n="$n" -v s="$secs" -v mb="$mb" -v p="$peak" -v c="$cpu" \
	'BEGIN { printf "| pvczar mail ingest into SQLite | %d | | | %.2f | %.2f | %.0f | %.1f | %d |\n", n, s, c, n / s, mb / s, p }'
IFS='|' read -r _ _ go_s go_mb go_cpu <<<"$go_row"
IFS='|' read -r _ _ py_s py_mb py_cpu <<<"$py_row"
IFS='|' read -r _ _ in_s in_mb in_cpu <<<"$ingest_row"
echo
awk -v g="$go_s" -v p="$py_s" -v i="$in_s" -v gc="$go_cpu" -v pc="$py_cpu" -v ic="$in_cpu" -v gm="$go_mb" -v pm="$py_mb" -v im="$in_mb" 'BEGIN {
	printf "full ingest into SQLite: %.1f times as fast as the Python baseline (%.2f s against %.2f s; aim 20); by CPU time %.1f times (%.2f s against %.2f s)\n", p / i, i, p, pc / ic, ic, pc
	printf "parse+thread+trailers:   %.1f times as fast as the Python baseline (%.2f s against %.2f s); by CPU time %.1f times\n", p / g, g, p, pc / gc
	printf "peak RSS: ingest %d MB, dry run %d MB, Python %d MB\n", im, gm, pm
}'
