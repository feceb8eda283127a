#!/usr/bin/python3
"""The suite's last test: no process started by this build's integration
tests is still running. Every such process names a directory under
WT_TEST_TMP on its command line (harness.make_dir); any left over is
listed, killed, and fails this test. The root is read from the
environment, not the command line, so that pgrep does not find this
script itself."""

import os
import re
import signal
import subprocess
import sys


def leftovers(root):
    p = subprocess.run(["pgrep", "-af", re.escape(root.rstrip("/") + "/")],
                       capture_output=True, text=True)
    me = os.getpid()
    return [line for line in p.stdout.splitlines()
            if line and int(line.split()[0]) != me]


def main():
    root = os.environ.get("WT_TEST_TMP")
    if not root:
        print("WT_TEST_TMP is not set: nothing to check")
        return 0
    left = leftovers(root)
    if not left:
        print("no process of this build's tests is left under %s" % root)
        return 0
    print("processes left behind by the integration tests:",
          file=sys.stderr)
    for line in left:
        print("  " + line, file=sys.stderr)
        try:
            os.kill(int(line.split()[0]), signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return 1


if __name__ == "__main__":
    sys.exit(main())
