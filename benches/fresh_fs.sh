# Sourced by the benchmark scripts: `fresh_out` sets OUT to an empty folder
# for everything a benchmark writes, and `drop_out` removes it.
#
# As root (and unless FRESH_FS=0), OUT is a freshly made ext4 filesystem: a
# sparse image under target/, loop-mounted. Writing 100,000 files to a disk
# where as many were just deleted measures the filesystem, not the tool: on
# ext4 without a journal (this machine's root) each new inode is checked
# against every recently freed one, and a build then spends over half its
# time in `recently_deleted` (perf), Hugo as much as auditbook. The inode
# tables are written by mkfs, not lazily by a kernel thread that would
# write them during the first runs. Elsewhere OUT
# is a temporary folder, and the script says so.
fresh_out() {
  local img="$PWD/target/bench-fs.$$.img" mnt="$PWD/target/bench-fs.$$"
  if [ "${FRESH_FS:-1}" = 1 ] && [ "$(id -u)" = 0 ] \
    && truncate -s "${FRESH_FS_SIZE:-40G}" "$img" 2>/dev/null \
    && mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$img" \
    && mkdir -p "$mnt" \
    && mount -o loop "$img" "$mnt" 2>/dev/null; then
    OUT="$mnt"
    FRESH_IMG="$img"
    echo "== outputs on a fresh ext4 filesystem (loop-mounted $img)"
  else
    rm -f "$img"
    rmdir "$mnt" 2>/dev/null || true
    OUT="$(mktemp -d "${TMPDIR:-/tmp}/auditbook-bench.XXXXXX")"
    FRESH_IMG=
    echo "== outputs in $OUT (not a fresh filesystem: times depend on what was deleted there lately)"
  fi
}

drop_out() {
  if [ -n "${FRESH_IMG:-}" ]; then
    umount "$OUT" && rmdir "$OUT" && rm -f "$FRESH_IMG"
  else
    rm -rf "$OUT"
  fi
}
