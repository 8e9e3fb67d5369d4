#!/usr/bin/env bash
# Benchmarks reading public-inbox v2 archives with the epoch reader (mbox's
# Epoch.Read, through bench/readinbox, which reads and counts). For each
# size in PINBOX_SIZES (default 10000 100000 1000000 messages) it generates
# an archive from the sample corpus with bench/geninbox (once; kept in
# bench/out/pinbox-N), reads it whole, then appends 1,000 messages to its
# last epoch, reads only those from the cursors of the whole read, and
# takes the epoch back to where it was. Prints a markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${PVCZAR_CORPUS:?set PVCZAR_CORPUS to a list archive (mbox or .mbox.gz)}
sizes=${PINBOX_SIZES:-10000 100000 1000000}
out=bench/out
mkdir -p $out
go build -o $out/geninbox ./bench/geninbox
go build -o $out/readinbox ./bench/readinbox

# measure CMD...: runs it under /usr/bin/time; prints its output, then wall
# seconds, CPU seconds (user + system, the children's included) and peak
# RSS in KB of the largest process (the reader or a git it ran).
measure() {
	local res
	res=$(/usr/bin/time -f '%e %U %S %M' -o $out/time.txt "$@")
	read -r wall user sys kb <$out/time.txt
	echo "$res $wall $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') $kb"
}

row() { # NAME then readinbox's and measure's fields
	local name=$1 n=$2 _deleted=$3 epochs=$4 mb=$5 self=$6 git=$7 wall=$8 cpu=$9 _peak=${10}
	awk -v name="$name" -v n="$n" -v e="$epochs" -v mb="$mb" -v w="$wall" -v c="$cpu" -v self="$self" -v git="$git" \
		'BEGIN { printf "| %s | %d | %d | %d | %.2f | %.2f | %.1f | %.1f | %d | %d |\n", name, n, e, mb, w, c, w * 1e6 / n, c * 1e6 / n, self / 1024, git / 1024 }'
}

echo "public-inbox read benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'): $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(go version | cut -d' ' -f3), $(git --version)"
echo
echo "| run | messages | epochs | MB | wall s | CPU s | wall µs/msg | CPU µs/msg | reader peak MB | git peak MB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $sizes; do
	dir=$out/pinbox-$n
	if [[ ! -d $dir/git ]]; then
		rm -rf "$dir"
		$out/geninbox -corpus "$corpus" -out "$dir" -messages "$n" >&2
	fi
	cursors=$out/pinbox-$n.cursors
	rm -f "$cursors"
	# shellcheck disable=SC2046
	row "read whole" $(measure $out/readinbox -cursors "$cursors" "$dir")

	last=$(ls -d "$dir"/git/*.git | sort -V | tail -1)
	head=$(git --git-dir "$last" rev-parse HEAD)
	$out/geninbox -corpus "$corpus" -out "$dir" -append 1000 >&2
	# shellcheck disable=SC2046
	row "+1,000 from the cursors" $(measure $out/readinbox -cursors "$cursors" "$dir")
	git --git-dir "$last" update-ref refs/heads/master "$head"
done
