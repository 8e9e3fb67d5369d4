#!/usr/bin/env bash
# Benchmarks the pvczar web server on a large registry.
#
#   bench/serve.sh [-fresh]
#
# Builds ./cmd/pvczar and the tools of bench/ into bench/out/, generates
# bench/out/bench.db with bench/gendb (once; -fresh generates it again),
# serves a copy of it on 127.0.0.1:18080, measures each route with bench/load
# and prints a markdown table with the machine it ran on. Every read's req/s
# is also given as a share of the static file's, the ceiling of the server.
# BENCH_CONCURRENCY (default 16) and BENCH_DURATION (default 10s) set load's
# -c and -d. The exit status is 1 when any request failed.
set -euo pipefail

cd "$(dirname "$0")/.."
fresh=0
for arg in "$@"; do
	case $arg in
	-fresh | --fresh) fresh=1 ;;
	*)
		echo "usage: bench/serve.sh [-fresh]" >&2
		exit 2
		;;
	esac
done
concurrency=${BENCH_CONCURRENCY:-16}
duration=${BENCH_DURATION:-10s}
out=bench/out
db=$out/bench.db
addr=127.0.0.1:18080
base=http://$addr

mkdir -p $out
go build -o $out/pvczar ./cmd/pvczar
go build -o $out/gendb ./bench/gendb
go build -o $out/load ./bench/load
if [[ $fresh == 1 || ! -f $db || ! -f $db.open || ! -f $db.tokens ]]; then
	$out/gendb -replace -db $db
fi

# The write benchmark adds events: serve a copy, so that every run starts
# from the same registry.
rm -f $out/run.db $out/run.db-wal $out/run.db-shm
cp $db $out/run.db
if [[ -s $db-wal ]]; then
	cp $db-wal $out/run.db-wal
fi
$out/pvczar serve --db $out/run.db --addr $addr >$out/serve.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
	curl -fsS -o /dev/null $base/healthz 2>/dev/null && break
	if ! kill -0 $server 2>/dev/null; then
		echo "serve.sh: the server exited; see $out/serve.log:" >&2
		cat $out/serve.log >&2
		exit 1
	fi
	sleep 0.1
done
curl -fsS -o /dev/null $base/healthz

sed "s|^|$base/proposals/|" $db.open >$out/proposal-urls
sed "s|.*|$base/api/v1/proposals/&/positions|" $db.open >$out/position-urls
token=$(awk '$1 == "maint01" { print $2 }' $db.tokens)
# A signed-in browser's session: its pages say who is signed in, so their
# frame is rendered for each request around a cached part (the board's is
# shared; a proposal page's, with the reader's forms, is kept per reader).
jar=$out/cookies
rm -f $jar
csrf=$(curl -fsS -c $jar $base/signin | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -fsS -b $jar -c $jar -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode "token=$token" $base/signin
session=$(awk '$6 == "pvczar_session" { print $7 }' $jar)

failed=0
rows=()
# measure NAME ARGS... runs load and keeps its row; a failure is reported in
# the row and remembered for the exit status.
measure() {
	local name=$1
	shift
	rows+=("$($out/load -c "$concurrency" -d "$duration" -name "$name" "$@")") || failed=1
}
measure "static file (ceiling)" $base/static/style.css
measure "board page" $base/
measure "API protocols" $base/api/v1/protocols
measure "OpenAPI document" $base/api/v1/openapi.json
measure "proposal page" -urls $out/proposal-urls
measure "board page, signed in (frame rendered)" -header "Cookie: pvczar_session=$session" $base/
measure "API protocols with a token" -header "Authorization: Bearer $token" $base/api/v1/protocols
measure "proposal page, signed in" -header "Cookie: pvczar_session=$session" -urls $out/proposal-urls
measure "post a position" -urls $out/position-urls -method POST \
	-header "Authorization: Bearer $token" -header 'Content-Type: application/json' \
	-body '{"kind":"comment","text":"benchmark comment"}'

kill $server
wait $server 2>/dev/null || true
trap - EXIT

echo "pvczar server benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "- machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(uname -sr)"
echo "- $(go version)"
echo "- database: $db ($(du -h $db | cut -f1)), $(wc -l <$db.open) open proposals; $concurrency requests in flight for $duration per row"
echo
echo "| name | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | errors | of static |"
echo "|---|---:|---:|---:|---:|---:|---:|---|---:|"
ceiling=$(awk -F'|' '{ print $4 }' <<<"${rows[0]}")
for i in "${!rows[@]}"; do
	share=-
	if ((i > 0 && i < ${#rows[@]} - 1)); then
		share=$(awk -F'|' -v c="$ceiling" '{ printf "%.0f%%", (c > 0 ? 100 * $4 / c : 0) }' <<<"${rows[$i]}")
	fi
	echo "${rows[$i]} $share |"
done
exit $failed
