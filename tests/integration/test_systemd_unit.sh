#!/bin/sh
# Verify the unit meson generated (<build>/systemd/wastetrack.service, from
# systemd/wastetrack.service.in) with systemd-analyze, pointing ExecStart at the
# daemon just built (systemd-analyze insists that the binary exists and is executable),
# and check that its `systemd-analyze security` exposure stays at or below
# WT_MAX_EXPOSURE (default 1.2, docs/install.md "Hardening").
#   usage: test_systemd_unit.sh /path/to/built/wastetrackd /path/to/generated/unit
# Exit 0 when systemd-analyze says nothing about our unit, 1 when it complains,
# 77 (meson/automake "skip") when systemd-analyze is not installed.
set -u

bin=${1:-}
unit_src=${2:-}
max_exposure=${WT_MAX_EXPOSURE:-1.2}
unit_name=$(basename "${unit_src:-x}")

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "SKIP: systemd-analyze not found"
    exit 77
fi
if [ -z "$bin" ] || [ -z "$unit_src" ]; then
    echo "usage: $0 /path/to/wastetrackd /path/to/unit-file" >&2
    exit 2
fi
if [ ! -f "$unit_src" ]; then
    echo "FAIL: unit file $unit_src not found" >&2
    exit 1
fi
# ExecStart= needs an absolute path.
case $bin in
    /*) ;;
    *) bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin") ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wt-unit.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# Replace only the executable of ExecStart= (keeping prefixes such as "-" and the
# arguments); escape the characters that are special in a sed replacement.
esc=$(printf '%s\n' "$bin" | sed 's/[&|\\]/\\&/g')
sed -E "s|^(ExecStart=[-@:+!]*)[^ ]+|\\1$esc|" "$unit_src" >"$tmp/$unit_name"
if ! grep -q "^ExecStart=[-@:+!]*$bin\\( \\|\$\\)" "$tmp/$unit_name"; then
    echo "FAIL: could not substitute ExecStart in $unit_src" >&2
    exit 1
fi

out=$(cd "$tmp" && systemd-analyze verify --man=no "$tmp/$unit_name" 2>&1)
rc=$?
[ -n "$out" ] && printf '%s\n' "$out"

# Complaints about other installed units (dependencies pulled in by verify) are not
# ours to fix; only lines naming our unit count.
bad=$(printf '%s\n' "$out" | grep -F -e "$unit_name" -e "$tmp" || true)
if [ -n "$bad" ]; then
    echo "FAIL: systemd-analyze verify complained about $unit_name:" >&2
    printf '%s\n' "$bad" >&2
    exit 1
fi
if [ "$rc" -ne 0 ]; then
    echo "note: systemd-analyze exited $rc, but not because of $unit_name"
fi
if grep -q '@[a-z]*@' "$unit_src"; then
    echo "FAIL: $unit_src still holds template variables:" >&2
    grep -n '@[a-z]*@' "$unit_src" >&2
    exit 1
fi

# --offline=true reads the file only; the last line is
# "→ Overall exposure level for NAME: 1.1 OK ...".
sec=$(cd "$tmp" && systemd-analyze security --offline=true --no-pager \
    "$tmp/$unit_name" 2>&1)
score=$(printf '%s\n' "$sec" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
    echo "FAIL: no exposure level in systemd-analyze security output:" >&2
    printf '%s\n' "$sec" >&2
    exit 1
fi
if ! awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s <= m) }'; then
    printf '%s\n' "$sec" | grep '✗' >&2
    echo "FAIL: exposure $score is above $max_exposure" >&2
    exit 1
fi
echo "PASS: $unit_name verifies (ExecStart=$bin), exposure $score <= $max_exposure"
exit 0
