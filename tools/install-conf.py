#!/usr/bin/env python3
"""meson install helper: install-conf.py DIR FILE...

Installs each FILE into DIR (under DESTDIR), mode 0644, unless a file of
that name is already there: an identical one is left alone, an edited one
is kept and the new version is written beside it as NAME.new. A reinstall
from source must not overwrite the site's configuration (dpkg's conffile
handling does the same for the package). meson.build runs it for
<sysconfdir>/wastetrack and its profiles/."""

import filecmp
import os
import shutil
import sys


def main():
    prefix = os.environ["MESON_INSTALL_PREFIX"]
    dprefix = os.environ["MESON_INSTALL_DESTDIR_PREFIX"]
    # DESTDIR as meson resolved it (DIR is absolute).
    root = dprefix[:len(dprefix) - len(prefix)] if dprefix.endswith(prefix) \
        else ""
    d = root + sys.argv[1]
    os.makedirs(d, exist_ok=True)
    for src in sys.argv[2:]:
        dst = os.path.join(d, os.path.basename(src))
        if os.path.exists(dst):
            if filecmp.cmp(src, dst, shallow=False):
                continue
            print("Keeping edited %s; the new version is %s.new" % (dst, dst))
            dst += ".new"
        else:
            print("Installing %s to %s" % (src, d))
        shutil.copyfile(src, dst)
        os.chmod(dst, 0o644)
    return 0


if __name__ == "__main__":
    sys.exit(main())
