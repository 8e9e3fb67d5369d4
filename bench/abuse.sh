#!/usr/bin/env bash
# Hostile inputs against two builds of pvczar: the baseline (BASE_REV,
# default 2354fcb, the state before issue 13) and this tree. bench/abuse
# writes the inputs into a temporary folder and runs each command with a
# cap (ABUSE_TIMEOUT seconds, default 60; killed after it), reporting its
# time, its peak resident memory and its result (exit code and the first
# line of stderr). Mail goes through `pvczar mail ingest` into a fresh
# `pvczar init` SQLite file. With PVCZAR_CORPUS set, a second table times
# what `serve --watch-mail` does when one mail is appended to a large
# archive (the corpus 10 times, built as bench/mail.sh builds it): the
# baseline reads it whole, this tree reads from the last offset
# (`mail ingest --incremental`). Prints markdown tables.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${BASE_REV:-2354fcb}
cap=${ABUSE_TIMEOUT:-60}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/abuse" ./bench/abuse
go build -o "$tmp/after" ./cmd/pvczar
mkdir "$tmp/base"
git archive "$base" | tar -x -C "$tmp/base"
(cd "$tmp/base" && go build -o "$tmp/before" ./cmd/pvczar)
rm -rf "$tmp/base"
mkdir "$tmp/in"
"$tmp/abuse" gen "$tmp/in"

# run BUILD KIND FILE: one measurement, as "seconds|peak MB|exit|stderr",
# in the inputs' folder, so that messages name the file briefly.
run() {
	local bin=$tmp/$1 kind=$2 file=$3
	cd "$tmp/in"
	case $kind in
	mail)
		rm -f "$tmp/db"*
		"$bin" init --czar bench --db "$tmp/db" >/dev/null 2>&1
		"$tmp/abuse" run "$cap" "$bin" mail ingest "$file" --db "$tmp/db"
		;;
	spec) "$tmp/abuse" run "$cap" "$bin" spec check "$file" ;;
	doc) "$tmp/abuse" run "$cap" "$bin" doc check "$file" ;;
	config) "$tmp/abuse" run "$cap" "$bin" rules --config "$file" ;;
	esac
}

echo "abuse benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'): before = $base, after = $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' + changes'), $(nproc) CPUs, $(go version | cut -d' ' -f3), cap ${cap} s"
echo
echo "| input | size | before s | before MB | before result | after s | after MB | after result |"
echo "|---|---:|---:|---:|---|---:|---:|---|"
while IFS='|' read -r name kind file; do
	size=$(du -h "$tmp/in/$file" | cut -f1)
	IFS='|' read -r bs bm be berr <<<"$(run before "$kind" "$file")"
	IFS='|' read -r as am ae aerr <<<"$(run after "$kind" "$file")"
	echo "| $name | $size | $bs | $bm | $be${berr:+: $berr} | $as | $am | $ae${aerr:+: $aerr} |"
done <<'EOF'
gzip bomb: 64 messages of 31 MiB (2 GB) in gzip|mail|bomb.mbox.gz
100,000 MIME parts in one mail|mail|parts.mbox
multiparts nested 20,000 deep|mail|nested.mbox
a mail of one 50 MB line|mail|oneline.mbox
10,000 header fields|mail|headers.mbox
at the limits: 2 mails of 31 MiB of text, 6 levels, 86 parts|mail|limits.mbox
billion laughs: YAML aliases 10 deep in a spec|spec|laughs.yaml
design document of 80 MB (500,000 sections)|doc|huge-doc.md
config prototype_window_days: 9223372036854775807|config|config-max.json
config: null|config|config-null.json
config: empty file|config|config-empty.json
EOF

corpus=${PVCZAR_CORPUS:-}
[[ -n $corpus ]] || exit 0
archive=$tmp/list.mbox
for i in $(seq 1 10); do
	zcat "$corpus" | sed -E "s/<([^<>@ ]+)@/<\1.copy$i@/g"
done >"$archive"
for build in before after; do # each its own database, read whole first
	"$tmp/$build" init --czar bench --db "$tmp/watch-$build.db" >/dev/null 2>&1
	"$tmp/$build" mail ingest "$archive" --db "$tmp/watch-$build.db" >/dev/null
done
printf 'From new@example.org Mon Nov 30 10:00:00 2026\nFrom: New <new@example.org>\nSubject: new\nMessage-ID: <new@example.org>\n\nnew\n\n' >>"$archive"
IFS='|' read -r bs bm be _ <<<"$("$tmp/abuse" run "$cap" "$tmp/before" mail ingest "$archive" --db "$tmp/watch-before.db")"
IFS='|' read -r as am ae _ <<<"$("$tmp/abuse" run "$cap" "$tmp/after" mail ingest --incremental "$archive" --db "$tmp/watch-after.db")"
echo
echo "| one mail appended to a $(du -m "$archive" | cut -f1) MB archive already read | s | peak MB | result |"
echo "|---|---:|---:|---|"
echo "| before: read whole (as every --watch-mail round did) | $bs | $bm | $be |"
echo "| after: read from the last offset (\`mail ingest --incremental\`, as --watch-mail does) | $as | $am | $ae |"
