"""Splits the black-box test modules into N streams of about equal time,
for tests/run.sh, which runs one pytest per stream at once.

  split.py N            prints N lines, each the modules of one stream
  split.py --refresh D  rewrites tests/blackbox/durations.txt from the JUnit
                        XML files in D (build/results after a make check)

Weights come from tests/blackbox/durations.txt (a module missing there counts
as 30 s); the longest module goes first to the least loaded stream."""
import glob
import os
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
DURATIONS = os.path.join(HERE, "blackbox", "durations.txt")
HEADER = """# Seconds each black-box module took in one run (relative weights only):
# tests/split.py balances the streams of tests/run.sh with them. A module
# missing here counts as 30. Refresh: tests/split.py --refresh build/results
"""


def weights():
    w = {}
    if os.path.exists(DURATIONS):
        with open(DURATIONS) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2 and not line.startswith("#"):
                    w[parts[0]] = float(parts[1])
    return w


def refresh(results):
    took = {}
    for path in glob.glob(os.path.join(results, "pytest*.xml")):
        for case in ET.parse(path).getroot().iter("testcase"):
            module = case.get("classname", "").split(".")[-1]
            took[module] = took.get(module, 0.0) + float(case.get("time", 0))
    if not took:
        sys.exit(f"split.py: no JUnit results in {results}")
    with open(DURATIONS, "w") as f:
        f.write(HEADER)
        for module in sorted(took):
            f.write(f"{module} {took[module]:.0f}\n")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--refresh":
        refresh(sys.argv[2])
        return
    if len(sys.argv) != 2 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1:
        sys.exit("usage: split.py N | --refresh RESULTS_DIR")
    n = int(sys.argv[1])
    w = weights()
    modules = sorted(os.path.basename(p)[:-3]
                     for p in glob.glob(os.path.join(HERE, "blackbox", "test_*.py")))
    streams = [[0.0, []] for _ in range(n)]
    for m in sorted(modules, key=lambda m: (-w.get(m, 30.0), m)):
        s = min(streams, key=lambda s: s[0])
        s[0] += w.get(m, 30.0)
        s[1].append(f"tests/blackbox/{m}.py")
    for _, files in streams:
        print(" ".join(sorted(files)))


main()
