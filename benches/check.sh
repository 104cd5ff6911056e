#!/usr/bin/env bash
# Benchmark `auditbook check` on a large generated workspace.
#
#   benches/check.sh                     # seed 42, default size (~1.2 GB)
#   SEED=7 RUNS=5 benches/check.sh
#   GEN_ARGS="--evidence 5000 --bytes 100000000" benches/check.sh
#   DROP_CACHES=1 benches/check.sh       # cold page cache before each run (root only)
#
# See benches/README.md.
set -euo pipefail

cd "$(dirname "$0")/.."

SEED="${SEED:-42}"
RUNS="${RUNS:-3}"
GEN_ARGS="${GEN_ARGS:-}"
DIR="target/bench-workspace-${SEED}"
STAMP="target/bench-workspace-${SEED}.args"
LOG="target/bench-check-${SEED}.time"

need_time() {
    if [ -x /usr/bin/time ]; then
        return
    fi
    echo "== installing GNU time (/usr/bin/time is missing)" >&2
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    $sudo apt-get install -y time >/dev/null || {
        $sudo apt-get update >/dev/null
        $sudo apt-get install -y time >/dev/null
    }
}

field() { # field LABEL FILE: the value after the last ": " of the line holding LABEL
    grep -m1 "$1" "$2" | sed 's/.*: //'
}

drop_caches() {
    if [ "${DROP_CACHES:-0}" = "1" ]; then
        sync
        if ! echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then
            echo "   (DROP_CACHES=1 needs root; page cache left warm)" >&2
        fi
    fi
}

need_time

# 1. The workspace: generated once per seed, options and generator version.
want="--seed ${SEED} ${GEN_ARGS}"
gen_hash=$(sha256sum examples/gen_workspace.rs | cut -c1-16)
if [ -f "${DIR}/auditbook.toml" ] && [ -f "${STAMP}" ] && [ "$(cat "${STAMP}")" = "${want} ${gen_hash}" ]; then
    echo "== reusing ${DIR} (${want})"
else
    echo "== generating ${DIR} (${want})"
    # shellcheck disable=SC2086 # GEN_ARGS is a list of options
    cargo run --release --quiet --example gen_workspace -- --out "${DIR}" --force ${want}
    echo "${want} ${gen_hash}" >"${STAMP}"
fi
files=$(find "${DIR}" -type f | wc -l)
bytes=$(du -sb "${DIR}" | cut -f1)
echo "   ${files} files, $((bytes / 1024 / 1024)) MiB; $(nproc) CPUs"

# 2. The binary.
echo "== cargo build --release"
cargo build --release --quiet

# 3. auditbook check, RUNS times. Exit 1 means the workspace has errors (a
#    result, not a failure of the benchmark); 2 and above are real failures.
echo "== auditbook -C ${DIR} check --format json  (${RUNS} runs)"
for i in $(seq 1 "${RUNS}"); do
    drop_caches
    rc=0
    /usr/bin/time -v target/release/auditbook -C "${DIR}" check --format json \
        >/dev/null 2>"${LOG}" || rc=$?
    if [ "${rc}" -ge 2 ]; then
        echo "run ${i}: auditbook check failed with exit code ${rc}:" >&2
        grep -v -E '^\s' "${LOG}" | tail -n 20 >&2 || true
        exit "${rc}"
    fi
    wall=$(field "Elapsed (wall clock)" "${LOG}")
    rss_kb=$(field "Maximum resident" "${LOG}")
    cpu=$(field "Percent of CPU" "${LOG}")
    printf "   run %d: exit %d  wall %s  peak RSS %d MiB  CPU %s\n" \
        "${i}" "${rc}" "${wall}" "$((rss_kb / 1024))" "${cpu}"
done

# 4. For comparison: hashing every evidence file with coreutils on two cores,
#    about the least work any tool that reads all the evidence can do.
echo "== baseline: find ${DIR}/evidence -type f | xargs -P2 sha256sum"
drop_caches
/usr/bin/time -v bash -c \
    "find '${DIR}/evidence' -type f -print0 | xargs -0 -P2 -n500 sha256sum >/dev/null" \
    2>"${LOG}"
printf "   sha256sum: wall %s  CPU %s\n" \
    "$(field "Elapsed (wall clock)" "${LOG}")" "$(field "Percent of CPU" "${LOG}")"
