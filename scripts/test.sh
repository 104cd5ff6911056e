#!/usr/bin/env bash
# Installs what the tests need (if missing) and runs every check and test.
# This is the command README.md names and .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v git >/dev/null || need+=(git)
command -v python3 >/dev/null || need+=(python3)
# tests/collect_git.rs signs commits with throwaway keys, and git itself is
# the oracle it checks the verification against.
command -v gpg >/dev/null || need+=(gnupg)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
# tests/bundle.rs reads every bundle with independent readers: python3's
# zipfile and Info-ZIP's `unzip -t`.
command -v unzip >/dev/null || need+=(unzip)
# The browser tests (tests/browser.rs) drive Debian's Chromium, never a
# downloaded browser build; DejaVu gives screenshots stable fonts.
[[ -x /usr/bin/chromium ]] || need+=(chromium)
[[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || need+=(fonts-dejavu-core)
if ((${#need[@]})); then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# playwright-core, pinned by tests/e2e/package-lock.json (it downloads no browser).
if [[ ! -d tests/e2e/node_modules ]]; then
  echo "installing: tests/e2e/node_modules (npm ci)"
  npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error >/dev/null
fi

# Tests make git commits; give them an identity where the machine has none.
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-auditbook tests}"
export GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-tests@auditbook.invalid}"
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-auditbook tests}"
export GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-tests@auditbook.invalid}"

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings

# Every test target (unit, integration, examples; the crate has no doc
# tests), then one closing line with the totals of all of them.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --all-targets --locked 2>&1 | tee "$log"
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "%d passed, %d failed\n", passed, failed }' "$log"
