#!/usr/bin/env bash
# Times `auditbook build` on the generated benchmark workspace: a cold build
# (no site, no caches), a rebuild with nothing changed, and a rebuild after
# one policy changed, each RUNS times (best of them reported); then Hugo
# rendering the same pages (benches/hugo/make_site.py), without and with
# the evidence files as static files. Needs Debian's hugo
# and time (installed when missing). Outputs go to a fresh filesystem when
# run as root (benches/fresh_fs.sh). See benches/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SEED="${SEED:-42}"
RUNS="${RUNS:-3}"
WS="target/bench-workspace-$SEED"
[ -d "$WS" ] || cargo run --release --example gen_workspace -- --out "$WS" --seed "$SEED"
command -v hugo >/dev/null || apt-get install -y -qq hugo
[ -x /usr/bin/time ] || apt-get install -y -qq time
cargo build --release -q
BIN=target/release/auditbook
. benches/fresh_fs.sh
fresh_out
POLICY=$(find "$WS/policies" -name '*.md' | sort | sed -n 1p)
cp "$POLICY" "$OUT/policy.bak"
trap 'cp "$OUT/policy.bak" "$POLICY"; drop_out' EXIT
export SOURCE_DATE_EPOCH=1795000000

# run LABEL: one build into $OUT/site under GNU time; prints wall time, peak
# RSS and what was reused, and appends "wall rss" to $OUT/LABEL.
run() {
  local label=$1
  # Each run starts with nothing left to write back: a rebuild right after
  # a cold build would otherwise share the two cores with the kernel writing
  # out the 2 GB that build left dirty, and measure that.
  sync
  /usr/bin/time -v -o "$OUT/time" "$BIN" -C "$WS" -v build --out "$OUT/site" \
    > /dev/null 2> "$OUT/stderr" || { cat "$OUT/stderr"; exit 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0;
    for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.2f", s }' "$OUT/time")
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$OUT/time")
  local reused rendered
  reused=$(awk '/files (kept from the previous build|linked from the live folder)/ { n += $1 } END { print n + 0 }' "$OUT/stderr")
  rendered=$(awk '/files rendered or copied/ { print $1 }' "$OUT/stderr")
  echo "  $label: wall $wall s, peak RSS $rss KB ($rendered files rendered or copied, $reused reused)"
  echo "$wall $rss" >> "$OUT/$label"
}

best() {
  sort -n "$OUT/$1" | head -1 | awk -v label="$1" '{ printf "best %s: wall %s s, peak RSS %s KB\n", label, $1, $2 }'
}

echo "== auditbook cold build (no site, no cache: load, hash, assess, render, redacted raw copies)"
for _ in $(seq "$RUNS"); do
  rm -rf "$OUT/site" "$WS/.auditbook"
  run cold
done
best cold
pages=$(find "$OUT/site" -name '*.html' -not -path '*/.cache/*' | wc -l)
echo "pages: $pages"

echo "== auditbook site from scratch, file cache warm (the rendering alone: parsed evidence from .auditbook/, every page and redacted copy written)"
for _ in $(seq "$RUNS"); do
  rm -rf "$OUT/site"
  run warm-cache
done
best warm-cache

echo "== auditbook rebuild, nothing changed"
for _ in $(seq "$RUNS"); do run unchanged; done
best unchanged

echo "== auditbook rebuild after one policy changed ($POLICY)"
for i in $(seq "$RUNS"); do
  echo "Changed for the benchmark, run $i." >> "$POLICY"
  run one-policy
done
best one-policy

# hugo_runs [--raw]: makes Hugo's site (make_site.py, with its flag) and
# times `hugo` on it RUNS times, each into an empty public/.
hugo_runs() {
  rm -rf "$OUT/hugo"
  python3 benches/hugo/make_site.py "$WS" "$OUT/hugo" "$@"
  for run in $(seq "$RUNS"); do
    rm -rf "$OUT/hugo/public"
    sync
    /usr/bin/time -f "run $run: wall %e s, peak RSS %M KB" hugo --quiet -s "$OUT/hugo" > /dev/null
  done
  echo "hugo: $(find "$OUT/hugo/public" -name '*.html' | wc -l) pages, $(find "$OUT/hugo/public" -type f | wc -l) files"
}

echo "== hugo on the same pages"
hugo_runs

echo "== hugo on the same pages, with every evidence file copied as a static file (the files auditbook's raw/ holds, unredacted)"
hugo_runs --raw
