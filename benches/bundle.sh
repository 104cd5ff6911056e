#!/usr/bin/env bash
# Times `auditbook bundle` on the generated benchmark workspace (50,000
# evidence files, 1.2 GB) beside `zip -r -X` over the same evidence and
# policies, and `auditbook verify` beside `unzip -t` over each zip. Needs
# GNU time, zip and unzip (installed when missing). Each command runs once:
# the machine is shared, so read the numbers as one sample (the bundle runs
# twice with its file cache). Each timed command starts after `sync`, with
# nothing of an earlier one left to write back.
set -euo pipefail
cd "$(dirname "$0")/.."
SEED="${SEED:-42}"
# WS may name an existing copy of the workspace; bundling writes its file
# cache (.auditbook/) into it, so never point it at someone else's tree.
WS="${WS:-target/bench-workspace-$SEED}"
[ -d "$WS" ] || cargo run --release --example gen_workspace -- --out "$WS" --seed "$SEED"
need=()
[ -x /usr/bin/time ] || need+=(time)
command -v zip >/dev/null || need+=(zip)
command -v unzip >/dev/null || need+=(unzip)
if ((${#need[@]})); then apt-get install -y -qq "${need[@]}"; fi
cargo build --release -q
. benches/fresh_fs.sh
fresh_out
trap drop_out EXIT
T='wall %e s, user %U s, sys %S s, peak RSS %M KB'
export SOURCE_DATE_EPOCH=1795000000

echo "== input: $(du -sh "$WS/evidence" | cut -f1) of evidence in $(find "$WS/evidence" -type f | wc -l) files"
echo "== auditbook keygen"
target/release/auditbook keygen --out "$OUT/key" -q
echo "== auditbook bundle --audience auditor (load, assess, render the portal into memory, deflate every entry at level 1 as it is rendered, sign)"
for run in cold warm warm; do
  rm -f "$OUT/auditor.zip"
  # No file cache for the first run: every evidence file is read, hashed
  # and parsed, as on a fresh checkout.
  [ "$run" = cold ] && rm -rf "$WS/.auditbook"
  sync
  AUDITBOOK_SIGNING_KEY="$OUT/key.key" /usr/bin/time -f "$run file cache: $T" \
    target/release/auditbook -C "$WS" -q bundle --audience auditor --out "$OUT/auditor.zip" > /dev/null
done
echo "bundle: $(stat -c %s "$OUT/auditor.zip") bytes, $(unzip -Z1 "$OUT/auditor.zip" | wc -l) entries"

echo "== zip -r -X over evidence/ and policies/ (deflate, level 6, one core)"
sync
( cd "$WS" && /usr/bin/time -f "zip: $T" zip -q -r -X "$OUT/tree.zip" evidence policies )
echo "zip: $(stat -c %s "$OUT/tree.zip") bytes"

echo "== zip -r -X over the bundle's own content (the same 2 GB of pages and redacted copies, unpacked), at level 6 and at the bundle's level 1"
unzip -q "$OUT/auditor.zip" -d "$OUT/content"
for level in 6 1; do
  ( cd "$OUT/content" && /usr/bin/time -f "zip -$level of the bundle's content: $T" zip -q -$level -r -X "$OUT/content.zip" . )
  echo "zip -$level: $(stat -c %s "$OUT/content.zip") bytes"
  rm -f "$OUT/content.zip"
done
rm -rf "$OUT/content"

echo "== auditbook verify --key (every entry inflated, CRC-32 and SHA-256, signature)"
/usr/bin/time -f "verify: $T" target/release/auditbook verify "$OUT/auditor.zip" --key "$OUT/key.pub" > /dev/null
echo "== unzip -t over the same bundle, and over zip's archive (CRC-32 only)"
/usr/bin/time -f "unzip -t bundle: $T" unzip -tqq "$OUT/auditor.zip"
/usr/bin/time -f "unzip -t tree.zip: $T" unzip -tqq "$OUT/tree.zip"
