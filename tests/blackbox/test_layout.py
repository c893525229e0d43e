"""Issue 14: no two source files of api/, executor/ and common/ depend on each
other in a loop (by #include or by calling what the other defines), and every
exported name carries its file's prefix. tests/layout/deps.py reads the
release objects that `make check` builds before the black-box tests."""
import os
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEPS = os.path.join(ROOT, "tests", "layout", "deps.py")


def run_deps(*args):
    return subprocess.run(["/usr/bin/python3", DEPS, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_no_loop_and_every_name_prefixed():
    r = run_deps("build/rel")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no loop" in r.stdout and "0 unprefixed" in r.stdout, r.stdout


def test_the_checker_finds_a_loop(tmp_path):
    """The checker itself can fail: two files that call each other."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("deps", DEPS)
    deps = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(deps)
    graph = {"a": {"b": "calls b_f"}, "b": {"c": "includes c.h"}, "c": {"a": "calls a_g"},
             "d": {"a": "calls a_g"}}
    assert deps.loops(graph) == [["a", "b", "c"]]
    assert deps.loops({"a": {"b": "x"}, "b": {}}) == []
