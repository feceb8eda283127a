#!/usr/bin/python3
"""The Debian package end to end, on this machine (as root): build the .deb
from a copy of the source tree with dpkg-buildpackage, install it with
dpkg -i, check the installed files, owners and modes, verify the installed
unit and its exposure score, start the installed binary as the unit would
(service user, umask, no capabilities, a private mount namespace with the
unit's file-system settings) against a private broker, see it ingest every
shipped dialect through the installed profiles, let a member of the group
wastetrack read the database, stop it, purge the package and check that
nothing is left behind.

Skipped (77) when not root, and under the sanitizer run (WT_SANITIZED=1):
the package is built from the sources with the distribution's flags, so a
second run would only build the same package again. Skipped as well when a
wastetrack package or its directories are already on this machine: the
test installs and purges its own and never touches someone else's.

Needs debhelper, dpkg-dev, systemd (systemd-analyze, -sysusers, -tmpfiles),
util-linux (unshare, setpriv), mosquitto, python3-paho-mqtt.

Also runnable by itself: `WT_SOURCE=. WT_TEST_TMP=/tmp/wt-pkg-test
tests/integration/test_package.py`."""

import grp
import os
import pwd
import re
import select
import shutil
import socket
import stat
import subprocess
import sys
import time

# The sandbox mode (below) runs before the harness is imported: it is
# only an exec away from the daemon and must not install the harness's
# signal and exit hooks.
SANDBOX = len(sys.argv) > 1 and sys.argv[1] == "--sandbox"

PKG = "wastetrack"
USER = "wastetrack"
MAX_EXPOSURE = 1.2
UNIT = "/lib/systemd/system/wastetrack.service"
DAEMON = "/usr/sbin/wastetrackd"
CONF_DIR = "/etc/wastetrack"
STATE_DIR = "/var/lib/wastetrack"
RUNTIME_DIR = "/run/wastetrack"
DIALECTS = ["wastetrack", "vendor-a", "vendor-b", "legacy-wb", "jt808-emqx"]
# A clean environment for the package tools: meson test's own variables
# (MALLOC_PERTURB_, WT_*, compiler flags) have no business in the build.
TOOL_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
            "/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root",
            "DEBIAN_FRONTEND": "noninteractive"}


# --- the sandbox: the unit's execution environment without systemd -------
#
# Runs as root inside `unshare --mount --propagation slave` (PrivateMounts=:
# nothing mounted here is seen outside), sets up the mounts the unit asks
# for, then execs setpriv, which execs the daemon, so the daemon keeps the
# pid the test started. Emulated:
#   User=/Group= (and no supplementary groups), UMask=0027,
#   NoNewPrivileges=, CapabilityBoundingSet= (empty), AmbientCapabilities=,
#   PrivateMounts=, ProtectProc=invisible, ProcSubset=pid,
#   ProtectSystem=strict with StateDirectory=/RuntimeDirectory= writable,
#   ProtectKernelTunables= and ProtectControlGroups= (/proc and /sys
#   read-only), PrivateTmp=, ProtectHome=, PrivateDevices= (a /dev with
#   only the pseudo devices), PrivateUsers= (a user namespace mapping only
#   root, wastetrack and nobody, entered after the mounts, whose maps the
#   test writes from outside), Type=notify (NOTIFY_SOCKET), and the
#   environment systemd gives a service.
# Not emulated, as they need systemd itself (seccomp filters it compiles,
# cgroup programs):
#   SystemCallFilter=, SystemCallArchitectures=, RestrictAddressFamilies=,
#   RestrictNamespaces=, RestrictRealtime=, RestrictSUIDSGID=,
#   LockPersonality=, MemoryDenyWriteExecute=,
#   ProtectKernelModules=, ProtectKernelLogs=, ProtectClock=,
#   ProtectHostname=, DevicePolicy= (the cgroup device filter), RemoveIPC=,
#   LimitNOFILE=, WatchdogSec= (the daemon would ping every 15 s; the test
#   is shorter) and Restart=.

def _unescape(path):
    # /proc/self/mountinfo writes space, tab, newline and \ as \ooo.
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), path)


def _mount(*args):
    subprocess.run(["mount"] + list(args), check=True)


def _inside(path, top):
    return path == top or path.startswith(top.rstrip("/") + "/")


def sandbox_main(argv):
    """--sandbox WORKDIR READY_FD GO_FD -- DAEMON ARGS..."""
    workdir = argv[2]
    ready_fd, go_fd = int(argv[3]), int(argv[4])
    cmd = argv[6:]
    keep = [workdir]
    # ProtectProc=invisible, ProcSubset=pid: a new proc instance.
    _mount("-t", "proc", "-o", "nosuid,nodev,noexec,hidepid=invisible,"
           "subset=pid", "proc", "/proc")
    # PrivateDevices=yes: a tmpfs /dev with the pseudo devices only.
    dev = os.path.join(workdir, "dev")
    os.makedirs(dev, exist_ok=True)
    _mount("-t", "tmpfs", "-o", "mode=0755,nosuid,noexec", "tmpfs", dev)
    for name in ("null", "zero", "full", "random", "urandom", "tty"):
        open(os.path.join(dev, name), "w").close()
        _mount("--bind", "/dev/" + name, os.path.join(dev, name))
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join(dev, name))
    os.mkdir(os.path.join(dev, "shm"))
    os.chmod(os.path.join(dev, "shm"), 0o1777)
    _mount("--move", dev, "/dev")
    # PrivateTmp=yes; ProtectHome=yes. A directory that holds the test's
    # own files is left visible (and said so): the configuration lives
    # under WT_TEST_TMP, which may be below /root or /tmp.
    for d, opts in (("/tmp", "mode=1777"), ("/var/tmp", "mode=1777"),
                    ("/home", "mode=0000"), ("/root", "mode=0000"),
                    ("/run/user", "mode=0000")):
        if not os.path.isdir(d):
            continue
        if any(_inside(k, d) for k in keep):
            print("sandbox: %s left visible (it holds %s)" % (d, workdir),
                  file=sys.stderr)
            continue
        _mount("-t", "tmpfs", "-o", opts + ",nosuid,nodev", "tmpfs", d)
    # ProtectSystem=strict: every mount read-only except the unit's State
    # and Runtime directories (bind-mounted onto themselves first, so that
    # they are mounts of their own that stay writable) and the private
    # /tmp, /var/tmp, /dev/shm.
    writable = [STATE_DIR, RUNTIME_DIR]
    for d in writable:
        _mount("--bind", d, d)
    with open("/proc/self/mountinfo") as f:
        points = [_unescape(line.split()[4]) for line in f]
    for mp in points:
        if mp in writable or mp in ("/tmp", "/var/tmp", "/dev", "/dev/shm"):
            continue
        if _inside(mp, "/dev"):
            continue
        subprocess.run(["mount", "-o", "remount,bind,ro", mp],
                       stderr=subprocess.DEVNULL)
    # PrivateUsers=yes: a new user namespace, after the mounts (so they
    # stay locked, owned by the host's). Only a process outside may write
    # a map of more than one line: ask the test, and wait for it.
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x10000000) != 0:                 # CLONE_NEWUSER
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWUSER)")
    os.write(ready_fd, b"mapped?\n")
    assert os.read(go_fd, 16) == b"go\n", "the test did not map the users"
    os.close(ready_fd)
    os.close(go_fd)
    os.umask(0o027)                                   # UMask=0027
    os.execvp("setpriv", ["setpriv", "--reuid", USER, "--regid", USER,
                          "--clear-groups", "--no-new-privs",
                          "--bounding-set", "-all", "--inh-caps", "-all",
                          "--ambient-caps", "-all", "--"] + cmd)


if SANDBOX:
    sandbox_main(sys.argv)

from harness import (Broker, Publisher, kill_group, make_dir,  # noqa: E402
                     read_tsv, spawn, wait_for, SANITIZED)

SOURCE = os.path.abspath(os.environ.get("WT_SOURCE", "."))


def sh(*args, check=True, **kw):
    kw.setdefault("env", TOOL_ENV)
    kw.setdefault("timeout", 120)
    p = subprocess.run(list(args), capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s exited %d:\n%s%s" % (" ".join(args),
                             p.returncode, p.stdout, p.stderr))
    return p


def pkg_status():
    p = sh("dpkg-query", "-W", "-f", "${Status}", PKG, check=False)
    return p.stdout.strip() if p.returncode == 0 else ""


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


# --- build -----------------------------------------------------------------

def copy_tree(dest):
    """The tracked files of WT_SOURCE (as they are in the work tree), or,
    outside a git checkout, everything but build directories."""
    p = subprocess.run(["git", "-C", SOURCE, "ls-files", "-z"],
                       capture_output=True)
    if p.returncode == 0 and p.stdout:
        os.makedirs(dest)
        for rel in p.stdout.decode().split("\0"):
            src = os.path.join(SOURCE, rel)
            if not rel or not os.path.lexists(src):
                continue            # deleted in the work tree
            dst = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst, follow_symlinks=False)
        return "git ls-files"

    def ignore(d, names):
        if os.path.samefile(d, SOURCE):
            return [n for n in names if n.startswith(("build", "obj-"))
                    or n == ".git"]
        return []
    shutil.copytree(SOURCE, dest, symlinks=True, ignore=ignore)
    return "copy without build*/"


def build_deb(work):
    src = os.path.join(work, "wastetrack")
    how = copy_tree(src)
    env = dict(TOOL_ENV, DEB_BUILD_OPTIONS="nocheck parallel=2")
    log_path = os.path.join(work, "dpkg-buildpackage.log")
    t0 = time.monotonic()
    with open(log_path, "wb") as log:
        p = spawn(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src,
                  env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            rc = p.wait(900)
        finally:
            kill_group(p)
    took = time.monotonic() - t0
    with open(log_path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    assert rc == 0, "dpkg-buildpackage exited %s:\n%s" % (rc, text[-6000:])
    debs = [n for n in os.listdir(work)
            if re.match(r"wastetrack_[^_]+_[^_]+\.deb$", n)]
    assert len(debs) == 1, os.listdir(work)
    print("built %s from %s in %.1fs" % (debs[0], how, took))
    return src, os.path.join(work, debs[0])


# --- installed files -------------------------------------------------------

def mode_owner(path):
    st = os.lstat(path)
    return (stat.S_IMODE(st.st_mode), pwd.getpwuid(st.st_uid).pw_name,
            grp.getgrgid(st.st_gid).gr_name)


def check_installed(src):
    assert pkg_status() == "install ok installed", pkg_status()
    listed = sh("dpkg", "-L", PKG).stdout.split()
    print("dpkg -L %s:\n  %s" % (PKG, "\n  ".join(listed)))
    for path in listed:
        assert os.path.lexists(path), "listed but missing: " + path
    files = {p for p in listed if not os.path.isdir(p)}

    # The service user and group, from sysusers.d in postinst.
    u = pwd.getpwnam(USER)
    assert u.pw_uid < 1000 and u.pw_dir == STATE_DIR, u
    assert u.pw_shell.endswith("nologin"), u
    assert grp.getgrgid(u.pw_gid).gr_name == USER

    expect = {
        DAEMON: (0o755, "root", "root"),
        UNIT: (0o644, "root", "root"),
        "/usr/lib/sysusers.d/wastetrack.conf": (0o644, "root", "root"),
        "/usr/lib/tmpfiles.d/wastetrack.conf": (0o644, "root", "root"),
        CONF_DIR + "/wastetrack.yaml": (0o644, "root", "root"),
        "/usr/share/doc/wastetrack/copyright": (0o644, "root", "root"),
    }
    # Every profile and document of the source tree is installed (the
    # documents possibly compressed by dh_compress).
    for name in sorted(os.listdir(os.path.join(src, "conf", "profiles"))):
        if name.endswith(".yaml"):
            expect[CONF_DIR + "/profiles/" + name] = (0o644, "root", "root")
    docs = ["README.md"] + ["docs/" + n for n in
                            sorted(os.listdir(os.path.join(src, "docs")))
                            if n.endswith(".md")]
    for d in docs:
        base = "/usr/share/doc/wastetrack/" + os.path.basename(d)
        path = base if base in files else base + ".gz"
        expect[path] = (0o644, "root", "root")
    # Every manual page of docs/man (compressed by dh_compress).
    pages = [n for n in sorted(os.listdir(os.path.join(src, "docs", "man")))
             if re.match(r".+\.[1-8]$", n)]
    assert {"wastetrackd.8", "wastetrack.yaml.5"} <= set(pages), pages
    for page in pages:
        path = "/usr/share/man/man%s/%s.gz" % (page[-1], page)
        expect[path if path in files else path[:-3]] = (0o644, "root",
                                                        "root")
    # The operator's tool, in bindir or sbindir.
    ctl = [p for p in ("/usr/sbin/wastetrackctl", "/usr/bin/wastetrackctl")
           if p in files]
    assert len(ctl) == 1, "wastetrackctl is not installed"
    expect[ctl[0]] = (0o755, "root", "root")
    for path, want in sorted(expect.items()):
        assert path in files, "%s is not in dpkg -L" % path
        assert mode_owner(path) == want, (path, oct(mode_owner(path)[0]),
                                          mode_owner(path)[1:])
    # tmpfiles.d: the configuration directory is the service group's only.
    assert mode_owner(CONF_DIR) == (0o750, "root", USER), \
        mode_owner(CONF_DIR)
    assert mode_owner(CONF_DIR + "/profiles") == (0o755, "root", "root")
    conffiles = sh("dpkg-query", "-W", "-f", "${Conffiles}", PKG).stdout
    for path in expect:
        if path.startswith("/etc/"):
            assert path + " " in conffiles, (path, conffiles)
    # The packaged version is the one the binary reports.
    version = sh("dpkg-query", "-W", "-f", "${Version}", PKG).stdout.strip()
    out = sh(DAEMON, "-V").stdout.strip()
    assert out == "wastetrackd " + version.split("-")[0], (out, version)
    return listed


def check_unit():
    with open(UNIT) as f:
        text = f.read()
    m = re.search(r"^ExecStart=(.*)$", text, re.M)
    assert m and m.group(1).split() == [DAEMON, "-c",
                                        CONF_DIR + "/wastetrack.yaml"], m
    assert "@" not in m.group(1)
    # verify: only complaints that name our unit count (others are the
    # machine's own units pulled in as dependencies).
    p = sh("systemd-analyze", "verify", "--man=no", UNIT, check=False,
           cwd="/")
    bad = [line for line in (p.stdout + p.stderr).splitlines()
           if "wastetrack" in line]
    assert not bad, "systemd-analyze verify:\n" + "\n".join(bad)
    p = sh("systemd-analyze", "security", "--offline=true", "--no-pager",
           UNIT, check=False, cwd="/")
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", p.stdout)
    assert m, p.stdout + p.stderr
    score = float(m.group(1))
    assert score <= MAX_EXPOSURE, "exposure %s > %s:\n%s" % (
        score, MAX_EXPOSURE, p.stdout)
    print("installed unit verifies; exposure %.1f (at most %.1f)"
          % (score, MAX_EXPOSURE))
    return text


# --- the installed daemon, run as the unit would ---------------------------

def as_user(user, group, *cmd):
    return ["setpriv", "--reuid", user, "--regid", group, "--clear-groups",
            "--"] + list(cmd)


def conf_path(work):
    return os.path.join(work, "wastetrack.yaml")


def write_config(work, port):
    """The installed sample with this test's broker and an ephemeral HTTP
    port, the installed profiles and every shipped dialect subscribed.
    root:wastetrack 0640, as a file holding secrets would be."""
    with open(CONF_DIR + "/wastetrack.yaml") as f:
        text = f.read()
    subs = {"url": 'url: "tcp://127.0.0.1:%d"' % port,
            "listen": 'listen: "127.0.0.1:0"',
            "client_id": 'client_id: "wt-package-%d"' % os.getpid()}
    for key, line in subs.items():
        text, n = re.subn(r"(?m)^(\s*)%s: .*$" % key,
                          lambda m, line=line: m.group(1) + line, text)
        assert n == 1, key
    text, n = re.subn(r'(?m)^include: .*$',
                      'include: ["%s/profiles/*.yaml"]' % CONF_DIR, text)
    assert n == 1
    # The vendor subscriptions are shipped commented out.
    text, n = re.subn(r'(?m)^  #(- \{topic: .*profile: .*\})$', r"  \1", text)
    assert n == len(DIALECTS) - 1, n
    path = conf_path(work)
    with open(path, "w") as f:
        f.write(text)
    gid = grp.getgrnam(USER).gr_gid
    os.chown(path, 0, gid)
    os.chmod(path, 0o640)
    os.chown(work, 0, gid)
    os.chmod(work, 0o750)
    return path


class Notify:
    """The sd_notify socket systemd would hold for a Type=notify unit."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        self.sock.setblocking(False)
        self.seen = []

    def got(self, word):
        while True:
            try:
                self.seen += self.sock.recv(4096).decode().split("\n")
            except BlockingIOError:
                break
        return word in self.seen

    def close(self):
        self.sock.close()


def run_daemon(work, port):
    conf = write_config(work, port)
    # StateDirectory=/RuntimeDirectory=: created by systemd before the
    # start, owned by the service user, mode 0755.
    for d in (STATE_DIR, RUNTIME_DIR):
        os.makedirs(d, exist_ok=True)
        os.chown(d, pwd.getpwnam(USER).pw_uid, grp.getgrnam(USER).gr_gid)
        os.chmod(d, 0o755)
    # The service user reads the configuration through the group.
    p = sh(*as_user(USER, USER, DAEMON, "-n", "-c", conf), check=False)
    assert p.returncode == 0 and p.stdout == "configuration OK\n", \
        "-n as %s: %s%s" % (USER, p.stdout, p.stderr)
    notify = Notify(os.path.join(work, "notify.sock"))
    u = pwd.getpwnam(USER)
    env = {"PATH": TOOL_ENV["PATH"], "LANG": "C.UTF-8", "USER": USER,
           "LOGNAME": USER, "HOME": u.pw_dir, "SHELL": u.pw_shell,
           "NOTIFY_SOCKET": notify.path, "STATE_DIRECTORY": STATE_DIR,
           "RUNTIME_DIRECTORY": RUNTIME_DIR}
    logf = open(os.path.join(work, "daemon.log"), "wb")
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    proc = None
    try:
        proc = spawn(["unshare", "--mount", "--propagation", "slave", "--",
                      sys.executable, os.path.abspath(__file__), "--sandbox",
                      work, str(ready_w), str(go_r), "--", DAEMON, "-c",
                      conf], env=env, stdout=logf, stderr=logf, cwd="/",
                     pass_fds=(ready_w, go_r))
        os.close(ready_w)
        os.close(go_r)
        ready_w = go_r = -1
        map_users(proc, work, ready_r, go_w)
    except BaseException:
        if proc is not None:
            kill_group(proc)
        logf.close()
        notify.close()
        raise
    finally:
        for fd in (ready_r, ready_w, go_r, go_w):
            if fd >= 0:
                os.close(fd)
    return proc, logf, notify


def map_users(proc, work, ready_r, go_w):
    """PrivateUsers=yes: root, the service user and nobody, each to
    itself, and nothing else (what systemd writes for the unit)."""
    r, _, _ = select.select([ready_r], [], [], 30)
    assert r and os.read(ready_r, 16) == b"mapped?\n", \
        "the sandbox did not ask for its user map:\n" + log_of(work)
    u, g = pwd.getpwnam(USER), grp.getgrnam(USER)
    nobody, nogroup = pwd.getpwnam("nobody").pw_uid, \
        grp.getgrnam("nogroup").gr_gid
    with open("/proc/%d/uid_map" % proc.pid, "w") as f:
        f.write("0 0 1\n%d %d 1\n%d %d 1\n" % (u.pw_uid, u.pw_uid, nobody,
                                                nobody))
    with open("/proc/%d/gid_map" % proc.pid, "w") as f:
        f.write("0 0 1\n%d %d 1\n%d %d 1\n" % (g.gr_gid, g.gr_gid, nogroup,
                                                nogroup))
    os.write(go_w, b"go\n")


def log_of(work):
    with open(os.path.join(work, "daemon.log"), "rb") as f:
        return f.read().decode("utf-8", "replace")


def http_status(port):
    import json
    import urllib.request
    with urllib.request.urlopen("http://127.0.0.1:%d/status" % port,
                                timeout=10) as r:
        return json.loads(r.read().decode())


def exercise(work):
    broker = Broker(work).start()
    proc = logf = notify = None
    try:
        proc, logf, notify = run_daemon(work, broker.port)

        def alive():
            if proc.poll() is not None:
                raise AssertionError("wastetrackd exited %s:\n%s"
                                     % (proc.returncode, log_of(work)))
            return True
        wait_for(lambda: alive() and notify.got("READY=1"), 30, "READY=1")
        port_file = RUNTIME_DIR + "/http.port"
        wait_for(lambda: alive() and os.path.exists(port_file), 10,
                 "the port file in " + RUNTIME_DIR)
        with open(port_file) as f:
            http = int(f.read())
        wait_for(lambda: http_status(http)["mqtt"]["subscribed"], 20,
                 "the daemon to subscribe")
        # The sandbox held: the daemon runs as the service user with no
        # capabilities and no way to gain any.
        with open("/proc/%d/status" % proc.pid) as f:
            st = dict(line.rstrip("\n").split(":\t", 1) for line in f)
        uid = pwd.getpwnam(USER).pw_uid
        assert st["Uid"].split()[0] == str(uid), st["Uid"]
        assert st["CapBnd"] == st["CapEff"] == "0000000000000000", st
        assert st["NoNewPrivs"] == "1", st
        with open("/proc/%d/uid_map" % proc.pid) as f:
            inner = sorted(int(line.split()[0]) for line in f)
        assert inner == sorted([0, uid, pwd.getpwnam("nobody").pw_uid]), \
            inner
        with open("/proc/%d/mountinfo" % proc.pid) as f:
            mounts = {line.split()[4]: line for line in f}
        assert "ro" in mounts["/"].split()[5].split(","), mounts["/"]
        assert "rw" in mounts[STATE_DIR].split()[5].split(","), mounts
        assert "hidepid=invisible" in mounts["/proc"], mounts["/proc"]
        assert "subset=pid" in mounts["/proc"], mounts["/proc"]

        pub = Publisher(broker.port)
        sent = {}
        for dialect in DIALECTS:
            items = read_tsv(dialect + ".tsv")
            sent[dialect] = pub.publish_all(items)
        pub.close()
        total = sum(sent.values())
        wait_for(lambda: http_status(http)["ingest"]["received"] >= total,
                 30, "%d messages to be received" % total)

        # A member of the group wastetrack (here: nobody with that group)
        # reads the database, read-only, while the daemon writes it.
        db = STATE_DIR + "/wastetrack.db"
        for path in (db, db + "-wal"):
            if os.path.exists(path):
                mode, owner, group = mode_owner(path)
                assert (owner, group) == (USER, USER), (path, owner, group)
                assert mode & 0o040 and not mode & 0o007, (path, oct(mode))
        query = ("import sqlite3, sys; c = sqlite3.connect("
                 "'file:%s?mode=ro', uri=True, timeout=10); print(*("
                 "c.execute('SELECT count(*) FROM messages WHERE profile=?',"
                 " (d,)).fetchone()[0] + c.execute('SELECT count(*) FROM "
                 "rejects WHERE profile=?', (d,)).fetchone()[0] for d in "
                 "sys.argv[1:]))" % db)
        counts = {}

        def all_committed():
            p = sh(*as_user("nobody", USER, "/usr/bin/python3", "-c",
                            query, *DIALECTS), check=False)
            assert p.returncode == 0, "group reader: " + p.stderr
            counts.update(zip(DIALECTS, map(int, p.stdout.split())))
            return counts == sent
        wait_for(all_committed, 30, "every message in the database")
        # Every dialect decoded (nothing rejected): the installed profiles
        # were read. Messages that repeat another dialect's events count
        # as duplicates, so only the native ones must all be new rows.
        rows = sh("sqlite3", "file:%s?mode=ro" % db,
                  "SELECT profile, outcome, count(*) FROM messages GROUP BY"
                  " 1, 2; SELECT 'rejects', reason, count(*) FROM rejects"
                  " GROUP BY 2").stdout.split()
        print("in the database (profile|outcome|count): %s" % " ".join(rows))
        assert not any(r.startswith("rejects|") for r in rows), rows
        assert "wastetrack|stored|%d" % sent["wastetrack"] in rows, rows
        # The installed operator's tool, as a member of the group.
        ctl = shutil.which("wastetrackctl", path="/usr/sbin:/usr/bin")
        if ctl:
            backups = os.path.join(work, "backups")
            os.mkdir(backups)
            os.chown(backups, pwd.getpwnam("nobody").pw_uid, -1)
            dest = os.path.join(backups, "running.db")
            p = sh(*as_user("nobody", USER, ctl, "-c", conf_path(work),
                            "backup", dest), check=False)
            assert p.returncode == 0, "wastetrackctl backup: %s%s" % (
                p.stdout, p.stderr)
            n = sh("sqlite3", "file:%s?mode=ro" % dest,
                   "SELECT count(*) FROM messages").stdout
            assert int(n) == total, n
        # A reader outside the group is refused.
        p = sh(*as_user("nobody", "nogroup", "/usr/bin/python3", "-c", query,
                        "x"), check=False)
        assert p.returncode != 0 and "unable to open" in p.stderr, p

        proc.terminate()
        rc = proc.wait(30)
        assert rc == 0, "exit %s:\n%s" % (rc, log_of(work))
        assert notify.got("STOPPING=1"), notify.seen
        print("stopped by SIGTERM, exit 0")
        # With the daemon stopped there is no -shm file to share, and the
        # group may not create one: readers open the file immutable
        # (docs/install.md, "Who may read the database").
        p = sh(*as_user("nobody", USER, "sqlite3",
                        "file:%s?immutable=1" % db,
                        "SELECT count(*) FROM messages"), check=False)
        assert p.returncode == 0 and int(p.stdout) == total, p
    finally:
        if proc is not None:
            kill_group(proc)
        if logf is not None:
            logf.close()
        if notify is not None:
            notify.close()
        broker.stop()


# --- removal ---------------------------------------------------------------

def check_purged(listed):
    assert pkg_status() == "", pkg_status()
    # Directories such as /usr/share/doc are shared with other packages;
    # ours are the ones named after it.
    left = [p for p in listed if os.path.lexists(p)
            and not (os.path.isdir(p) and "wastetrack" not in p)]
    left += [p for p in (CONF_DIR, STATE_DIR, RUNTIME_DIR,
                         "/etc/systemd/system/multi-user.target.wants/"
                         "wastetrack.service",
                         "/var/lib/systemd/deb-systemd-helper-enabled/"
                         "wastetrack.service")
             if os.path.lexists(p)]
    assert not left, "left behind by the purge: %s" % left
    # Debian's custom: the system user stays (docs/install.md).
    pwd.getpwnam(USER)


def main():
    if os.geteuid() != 0:
        skip("needs root (dpkg -i, a system user)")
    if SANITIZED:
        skip("the sanitizer run builds the same package again")
    if pkg_status():
        skip("a %s package is on this machine (%s); the test would replace "
             "and purge it" % (PKG, pkg_status()))
    for d in (CONF_DIR, STATE_DIR):
        if os.path.exists(d):
            skip("%s exists; purging the test's package would remove it" % d)
    missing = [tool for tool in ("dpkg-buildpackage", "dh", "mosquitto",
                                 "systemd-analyze", "systemd-sysusers",
                                 "unshare", "setpriv", "sqlite3")
               if not shutil.which(tool, path=TOOL_ENV["PATH"])]
    assert not missing, ("missing %s: apt-get install debhelper dpkg-dev "
                         "systemd util-linux mosquitto sqlite3 (./wt deps)"
                         % " ".join(missing))
    t0 = time.monotonic()
    work = make_dir("wt-package-")
    installed = False
    ok = False
    try:
        src, deb = build_deb(work)
        sh("dpkg", "-i", deb, timeout=300)
        installed = True
        listed = check_installed(src)
        if os.path.isdir("/run/systemd/system"):
            # An init system runs here after all: postinst enabled and
            # started the service on the sample configuration. Stop it;
            # the test starts the binary itself, on its own broker.
            assert sh("systemctl", "is-enabled", PKG,
                      check=False).stdout.strip() == "enabled"
            sh("systemctl", "stop", PKG)
        check_unit()
        exercise(work)
        sh("dpkg", "--purge", PKG, timeout=300)
        installed = False
        check_purged(listed)
        ok = True
    finally:
        if installed:
            sh("dpkg", "--purge", PKG, check=False, timeout=300)
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("test files kept in %s" % work, file=sys.stderr)
    print("ok   package (%.1fs in all)" % (time.monotonic() - t0))


if __name__ == "__main__":
    main()
