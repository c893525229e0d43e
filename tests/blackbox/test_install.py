"""Issue 16: `make install` puts units that name where the binaries went,
every example of deploy/, the man pages; `make uninstall` takes exactly that
away again. The man pages render without a warning and say what --help says.
The build adds the caller's CPPFLAGS/CFLAGS/LDFLAGS to its own."""
import os
import re
import shutil
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAN_PAGES = ("qpayd.8", "qpayd-executor.8", "qpayd.toml.5")


def make(*args, timeout=300):
    r = subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True,
                       text=True, timeout=timeout)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def files_under(top):
    return sorted(os.path.relpath(os.path.join(d, f), top)
                  for d, _, fs in os.walk(top) for f in fs)


def exec_paths(unit_text):
    """The programs every Exec*= line of a unit starts."""
    return [line.split("=", 1)[1].split()[0]
            for line in unit_text.splitlines() if re.match(r"Exec\w*=", line)]


def test_install_prefix_usr_then_uninstall(tmp_path):
    dest = str(tmp_path / "root")
    make("install", "DESTDIR=" + dest, "PREFIX=/usr")
    installed = files_under(dest)
    for f in ("usr/bin/qpayd", "usr/bin/qpayd-executor", "usr/share/man/man8/qpayd.8",
              "usr/share/man/man8/qpayd-executor.8", "usr/share/man/man5/qpayd.toml.5",
              "usr/share/qpayd/sql/roles.sql"):
        assert f in installed, f
    for example in os.listdir(os.path.join(ROOT, "deploy")):
        if not os.path.isfile(os.path.join(ROOT, "deploy", example)):
            continue
        where = "lib/systemd/system" if example.endswith(".service") else "share/qpayd/examples"
        assert "usr/%s/%s" % (where, example) in installed, example
    for unit in ("qpayd.service", "qpayd-executor.service"):
        text = open(os.path.join(dest, "usr/lib/systemd/system", unit)).read()
        assert "/usr/local" not in text
        assert "--config /etc/qpayd/" in text
        for prog in exec_paths(text):
            if prog.startswith("/usr/bin/qpayd"):
                assert os.access(dest + prog, os.X_OK), (unit, prog)
    # systemd-analyze verify checks every Exec path under --root; it needs
    # the targets and /bin/kill there too, added here and taken away before
    # uninstall.
    extra = [os.path.join(dest, "bin", "kill")]
    os.makedirs(os.path.join(dest, "bin"))
    shutil.copy("/bin/kill", extra[0])
    etc = os.path.join(dest, "etc", "systemd", "system")
    os.makedirs(etc)
    for name in os.listdir("/lib/systemd/system"):
        if name.endswith((".target", ".slice")):
            shutil.copy(os.path.join("/lib/systemd/system", name), etc)
    units = [os.path.join(dest, "usr/lib/systemd/system", u)
             for u in ("qpayd.service", "qpayd-executor.service")]
    r = subprocess.run(["systemd-analyze", "verify", "--root=" + dest, *units],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    # It can fail: without the binary, the same check does.
    os.rename(dest + "/usr/bin/qpayd", dest + "/qpayd.moved")
    r = subprocess.run(["systemd-analyze", "verify", "--root=" + dest, units[0]],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "/usr/bin/qpayd is not executable" in r.stderr, r.stderr
    os.rename(dest + "/qpayd.moved", dest + "/usr/bin/qpayd")
    shutil.rmtree(os.path.join(dest, "bin"))
    shutil.rmtree(os.path.join(dest, "etc"))

    make("uninstall", "DESTDIR=" + dest, "PREFIX=/usr")
    assert files_under(dest) == []
    assert not os.path.exists(os.path.join(dest, "usr/share/qpayd"))


def test_install_other_prefix(tmp_path):
    """sysconfdir follows PREFIX unless it is /usr; the units follow both."""
    dest = str(tmp_path / "root")
    make("install", "DESTDIR=" + dest, "PREFIX=/opt/qpayd")
    unit = open(os.path.join(dest, "opt/qpayd/lib/systemd/system/qpayd.service")).read()
    assert "ExecStart=/opt/qpayd/bin/qpayd --config /opt/qpayd/etc/qpayd/qpayd.toml serve" in unit
    example = open(os.path.join(dest, "opt/qpayd/share/qpayd/examples/executor.example.toml")).read()
    assert 'journal = "/var/lib/qpayd-executor/journal"' in example
    make("uninstall", "DESTDIR=" + dest, "PREFIX=/opt/qpayd")
    assert files_under(dest) == []


def render(page):
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    r = subprocess.run(["man", "--warnings", "-l", os.path.join(ROOT, "build", "man", page)],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "", (page, r.stderr)
    return r.stdout


def test_man_pages_render_and_follow_help():
    make("man")
    for page in MAN_PAGES:
        text = render(page)
        assert "NAME" in text and "SEE ALSO" in text, page
        assert max(len(line) for line in text.splitlines()) <= 80, page
    # Every command and option of --help is in the page of its program.
    for prog, page in (("qpayd", "qpayd.8"), ("qpayd-executor", "qpayd-executor.8")):
        usage = subprocess.run([os.path.join(ROOT, "bin", prog), "--help"], capture_output=True,
                               text=True, timeout=30).stdout
        text = render(page)
        words = set(re.findall(r"^  ([a-z][a-z-]+)", usage, re.M))
        words |= set(re.findall(r"(--[a-z][a-z-]+)", usage))
        words |= set(re.findall(r"^  (\d)  ", usage, re.M))
        assert len(words) > 10, usage
        missing = sorted(w for w in words if w not in text)
        assert missing == [], (page, missing)


def test_build_keeps_its_flags_and_adds_the_callers():
    """A dry run shows the commands: the project's -I/-D survive the caller's
    CPPFLAGS, LDFLAGS reach the link, -Werror only when check asks for it."""
    out = make("-n", "-B", "bin/qpayd", "CPPFLAGS=-D_FORTIFY_SOURCE=2",
               "CFLAGS=-O2 -fstack-protector-strong", "LDFLAGS=-Wl,-z,now")
    compile_line = next(line for line in out.splitlines() if "-c api/main.c" in line)
    for flag in ("-Icommon", "-D_GNU_SOURCE", "-D_FORTIFY_SOURCE=2", "-fstack-protector-strong"):
        assert flag in compile_line, flag
    assert "-Werror" not in compile_line
    link_line = next(line for line in out.splitlines() if "-o bin/qpayd " in line + " ")
    assert "-Wl,-z,now" in link_line
    out = make("-n", "-B", "build/rel/api/main.o", "WERROR=-Werror")
    assert "-Werror" in out
    out = make("-n", "-B", "build/san/api/main.o")
    assert "-Werror" in out
