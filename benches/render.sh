#!/usr/bin/env bash
# Times `auditbook build` on the generated benchmark workspace beside Hugo
# rendering the same pages (benches/hugo/make_site.py). Needs Debian's hugo
# and time (installed when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
SEED="${SEED:-42}"
WS="target/bench-workspace-$SEED"
[ -d "$WS" ] || cargo run --release --example gen_workspace -- --out "$WS" --seed "$SEED"
command -v hugo >/dev/null || apt-get install -y -qq hugo
[ -x /usr/bin/time ] || apt-get install -y -qq time
cargo build --release -q
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

echo "== auditbook build (load, hash, assess, render, redacted raw copies)"
for run in 1 2 3; do
  rm -rf "$OUT/site"
  SOURCE_DATE_EPOCH=1795000000 /usr/bin/time -f "run $run: wall %e s, peak RSS %M KB" \
    target/release/auditbook -C "$WS" -q build --out "$OUT/site" > /dev/null
done
pages=$(find "$OUT/site" -name '*.html' | wc -l)
echo "pages: $pages"

echo "== one policy changed, rebuild"
policy=$(find "$WS/policies" -name '*.md' | sort | head -1)
cp "$policy" "$OUT/policy.bak"
echo "Changed for the benchmark." >> "$policy"
/usr/bin/time -f "rebuild: wall %e s, peak RSS %M KB" target/release/auditbook -C "$WS" -q build --out "$OUT/site" > /dev/null
cp "$OUT/policy.bak" "$policy"

echo "== hugo on the same pages"
python3 benches/hugo/make_site.py "$WS" "$OUT/hugo"
for run in 1 2 3; do
  rm -rf "$OUT/hugo/public"
  /usr/bin/time -f "run $run: wall %e s, peak RSS %M KB" hugo --quiet -s "$OUT/hugo" > /dev/null
done
echo "hugo pages: $(find "$OUT/hugo/public" -name '*.html' | wc -l)"
