#!/bin/sh
# lint.sh MANDOC PAGE...: the pages must be clean under mandoc -Tlint.
#
# The one message allowed is the STYLE warning that a page refers to the
# other one ("referenced manual not found: Xr wastetrackd 8"): mandoc looks
# Xr targets up among installed pages, and these are not installed yet.
# mandoc's notices about its own outdated database name no page and are
# not about ours. MANDOC is empty when meson did not find mandoc: skip.
mandoc=$1
shift
if [ -z "$mandoc" ] || ! [ -x "$mandoc" ]; then
	echo "mandoc not found: skipped (Debian package mandoc)"
	exit 77
fi
out=$("$mandoc" -Tlint -Wstyle "$@" 2>&1)
rc=$?
# mandoc exits 1 for STYLE messages, more for worse ones or its own failure.
if [ "$rc" -gt 1 ]; then
	printf '%s\n' "$out"
	echo "mandoc -Tlint exited $rc"
	exit 1
fi
bad=$(printf '%s\n' "$out" | grep -v \
    -e 'STYLE: referenced manual not found: Xr wastetrackd 8\( \|$\)' \
    -e 'STYLE: referenced manual not found: Xr wastetrack\.yaml 5\( \|$\)' \
    -e 'STYLE: referenced manual not found: Xr wastetrackctl 1\( \|$\)' \
    -e '^mandoc: outdated mandoc\.db lacks .* entry, run makewhatis ' \
    -e '^$')
if [ -n "$bad" ]; then
	printf '%s\n' "$bad"
	echo "mandoc -Tlint: the messages above are not allowed"
	exit 1
fi
echo "mandoc -Tlint: $# pages clean"
exit 0
