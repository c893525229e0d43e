"""Counts what tests/run.sh ran and prints: check: N passed, M failed.

cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] M test(s)"; a unit
binary that exited non-zero without a FAILED line (a crash, a sanitizer report)
counts as one failure. Each fuzz harness is one result (fuzz-<name>.rc).
pytest's results come from the JUnit XML of each stream; a stream
that wrote none counts as one failure."""
import os
import re
import sys
import xml.etree.ElementTree as ET


def unit_counts(results):
    passed = failed = 0
    for name in sorted(os.listdir(results)):
        if not (name.startswith("unit-") and name.endswith(".log")):
            continue
        base = name[: -len(".log")]
        with open(os.path.join(results, name), errors="replace") as f:
            text = f.read()
        with open(os.path.join(results, base + ".rc")) as f:
            rc = int(f.read().strip() or "1")
        p = sum(int(m) for m in re.findall(r"^\[  PASSED  \] (\d+) test", text, re.M))
        fl = sum(int(m) for m in re.findall(r"^\[  FAILED  \] (\d+) test", text, re.M))
        if rc != 0 and fl == 0:
            fl = 1
        passed += p
        failed += fl
    return passed, failed


def fuzz_counts(results):
    """One result per harness: tests/fuzz/run.sh writes fuzz-<name>.rc, 0 when
    its corpus and its short run found nothing."""
    passed = failed = 0
    for name in sorted(os.listdir(results)):
        if not (name.startswith("fuzz-") and name.endswith(".rc")):
            continue
        with open(os.path.join(results, name)) as f:
            rc = int(f.read().strip() or "1")
        if rc == 0:
            passed += 1
        else:
            failed += 1
    return passed, failed


def pytest_counts(results):
    """The black-box tests run in streams (tests/run.sh): one pytest-N.xml
    and pytest-N.rc each. A stream that wrote no XML counts as one failure."""
    passed = failed = 0
    streams = sorted(n[: -len(".rc")] for n in os.listdir(results)
                     if n.startswith("pytest") and n.endswith(".rc"))
    if not streams:
        return 0, 1
    for stream in streams:
        path = os.path.join(results, stream + ".xml")
        if not os.path.exists(path):
            failed += 1
            continue
        root = ET.parse(path).getroot()
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        sp = sf = 0
        for s in suites:
            tests = int(s.get("tests", 0))
            bad = int(s.get("failures", 0)) + int(s.get("errors", 0))
            skipped = int(s.get("skipped", 0))
            sp += tests - bad - skipped
            sf += bad
        with open(os.path.join(results, stream + ".rc")) as f:
            rc = int(f.read().strip() or "1")
        # 5 = no tests collected: that is a failure of the suite itself.
        if rc not in (0, 1) and sf == 0:
            sf = 1
        passed += sp
        failed += sf
    return passed, failed


def main():
    results = sys.argv[1]
    up, uf = unit_counts(results)
    fp, ff = fuzz_counts(results)
    bp, bf = pytest_counts(results)
    passed, failed = up + fp + bp, uf + ff + bf
    print(
        f"unit: {up} passed, {uf} failed; fuzz: {fp} passed, {ff} failed; "
        f"black-box: {bp} passed, {bf} failed"
    )
    print(f"check: {passed} passed, {failed} failed")
    sys.exit(1 if failed or passed == 0 else 0)


main()
