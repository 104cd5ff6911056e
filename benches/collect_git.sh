#!/usr/bin/env bash
# Times `auditbook collect git` on a generated repository (examples/gen_git_repo.rs:
# COMMITS commits, a quarter signed, SSH and OpenPGP alternating) beside git
# itself: `git log --format=%G?` with the same trust, and a raw
# `git cat-file --batch-all-objects --batch` scan. Needs git, gpg and python3.
#
#   benches/collect_git.sh                      # 100,000 commits, git log on 4,000
#   COMMITS=20000 GIT_LOG_COMMITS=all benches/collect_git.sh
set -euo pipefail
cd "$(dirname "$0")/.."
COMMITS="${COMMITS:-100000}"
GIT_LOG_COMMITS="${GIT_LOG_COMMITS:-4000}"
RUNS="${RUNS:-3}"
DIR="$PWD/target/bench-git-$COMMITS"
REPO="$DIR/repo"

cargo build --release -q --bin auditbook --example gen_git_repo --example collect_git_bench
if [ ! -d "$REPO" ]; then
  rm -rf "$DIR"
  target/release/examples/gen_git_repo "$DIR" --commits "$COMMITS"
fi

# From here git and gpg see only this sandbox's configuration and keys.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME="$DIR/home" GNUPGHOME="$DIR/gnupg"
unset SOURCE_DATE_EPOCH
mkdir -p "$HOME" "$GNUPGHOME" "$DIR/ws"
chmod 700 "$GNUPGHOME"
# The OpenPGP key in GNUPGHOME, ultimately trusted: git says G for its
# good signatures, as auditbook does for a configured key.
gpg --batch -q --import "$DIR/trust/gpg/signer.asc" 2>/dev/null
fpr=$(gpg --batch --with-colons --list-keys | awk -F: '/^fpr:/ {print $10; exit}')
echo "$fpr:6:" | gpg --batch -q --import-ownertrust 2>/dev/null
cat > "$DIR/ws/auditbook.toml" <<EOF
[organization]
name = "Benchmark"
[period]
name = "2026"
start = "2026-01-01"
end = "2026-12-31"
[frameworks.soc2]
categories = ["security"]
[[sources.git]]
path = "../repo"
allowed_signers = "../trust/allowed_signers"
gpg_keys = "../trust/gpg"
EOF
git_log() { git -C "$REPO" -c gpg.ssh.allowedSignersFile="$DIR/trust/allowed_signers" log "$@"; }
# Start without git's commit-graph file; it is written half-way.
rm -rf "$REPO/.git/objects/info/commit-graph" "$REPO/.git/objects/info/commit-graphs"

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== repository: $(git -C "$REPO" rev-list --count HEAD) commits, $(git -C "$REPO" count-objects -v | awk '/^in-pack/ {print $2}') objects, pack $(du -sh "$REPO/.git/objects/pack" | cut -f1)"

echo "== git accepts the signatures: %G? of the newest 400 commits"
git_log -n 400 --format=%G? | sort | uniq -c

echo "== auditbook collect git (verification, evidence file written), no commit-graph"
for run in $(seq "$RUNS"); do
  /usr/bin/env time -f "run $run: wall %e s, peak RSS %M KB, CPU %P" \
    target/release/auditbook -C "$DIR/ws" -q collect git
done
echo "== auditbook's letters equal git's for the newest 400 commits"
git_log -n 400 --format='%H %G?' > "$DIR/git-letters.txt"
python3 - "$DIR/ws/evidence/git/repo-2026.json" "$DIR/git-letters.txt" <<'EOF'
import json, sys
evidence = json.load(open(sys.argv[1]))
listed = {c["hash"]: c["status"] for c in evidence["unverified"]}
pairs = [line.split() for line in open(sys.argv[2])]
wrong = [(h, g, listed.get(h, "G")) for h, g in pairs if listed.get(h, "G") != g]
print(f"{len(pairs)} compared, {len(wrong)} differ", wrong[:5])
s = evidence["summary"]
print(f"summary: {s['commits']} commits, signed {s['signed']}, {s['verified']} verified, {s['unsigned']} unsigned")
sys.exit(1 if wrong else 0)
EOF

echo "== in-process, no commit-graph: verification, then classification alone"
target/release/examples/collect_git_bench "$REPO" "$DIR/trust" --runs "$RUNS"
target/release/examples/collect_git_bench "$REPO" "$DIR/trust" --runs "$RUNS" --classify-only

echo "== git cat-file --batch-all-objects --batch > /dev/null"
for run in $(seq "$RUNS"); do
  /usr/bin/env time -f "run $run: wall %e s" \
    git -C "$REPO" cat-file --batch-all-objects --batch > /dev/null
done

git -C "$REPO" commit-graph write --reachable 2>/dev/null
echo "== with git's commit-graph file: auditbook collect git, then in-process classification alone"
for run in $(seq "$RUNS"); do
  /usr/bin/env time -f "run $run: wall %e s, peak RSS %M KB, CPU %P" \
    target/release/auditbook -C "$DIR/ws" -q collect git
done
target/release/examples/collect_git_bench "$REPO" "$DIR/trust" --runs "$RUNS" --classify-only

if [ "$GIT_LOG_COMMITS" = all ]; then
  echo "== git log --format=%G? over all $COMMITS commits"
  /usr/bin/env time -f "wall %e s" git_log --format=%G? > /dev/null
else
  echo "== git log --format=%G? over the newest $GIT_LOG_COMMITS commits (GIT_LOG_COMMITS=all for every one)"
  start=$(date +%s.%N)
  git_log -n "$GIT_LOG_COMMITS" --format=%G? > /dev/null
  end=$(date +%s.%N)
  python3 -c "t=$end-$start; print(f'wall {t:.2f} s for $GIT_LOG_COMMITS commits: {t/$GIT_LOG_COMMITS*1000:.2f} ms per commit, {t*$COMMITS/$GIT_LOG_COMMITS:.0f} s extrapolated to $COMMITS')"
fi
