#!/usr/bin/python3
"""Finds loops between the source files of api/, executor/ and common/.

File a depends on file b (both .c files) when a includes b's header, or when
a's object calls or reads a symbol b's object defines. A loop is a set of files
each reachable from every other (a strongly connected component of more than
one file). Also lists every exported name that does not carry its file's
prefix. Prints every loop with the edges that make it and exits 1 if there is
a loop or an unprefixed name; prints the number of files and edges and exits 0
otherwise.

Usage: tests/layout/deps.py [build/rel]  (the objects must be built)
"""
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DIRS = ("common", "api", "executor")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources():
    """{stem: path} of every .c file, e.g. 'api/http' -> 'api/http.c'."""
    out = {}
    for d in DIRS:
        for f in sorted(os.listdir(os.path.join(ROOT, d))):
            if f.endswith(".c"):
                out[f"{d}/{f[:-2]}"] = f"{d}/{f}"
    return out


def header_owner(srcs):
    """{'http.h': 'api/http'}: the file whose header it is (same stem)."""
    owner = {}
    for d in DIRS:
        for f in os.listdir(os.path.join(ROOT, d)):
            if f.endswith(".h"):
                stem = f"{d}/{f[:-2]}"
                if stem in srcs:
                    owner[f] = stem
    return owner


def symbols(objdir, stem):
    """(defined, undefined) global symbol sets of stem's object."""
    obj = os.path.join(ROOT, objdir, stem + ".o")
    if not os.path.exists(obj):
        sys.exit(f"deps: {obj} is missing: build first (make all)")
    text = subprocess.run(["nm", "-g", obj], capture_output=True, text=True, check=True).stdout
    defined, undefined = set(), set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRCVW":
            defined.add(parts[2])
    return defined, undefined


def edges(objdir):
    srcs = sources()
    owner = header_owner(srcs)
    defs, undefs = {}, {}
    where = {}
    for stem in srcs:
        defs[stem], undefs[stem] = symbols(objdir, stem)
        for s in defs[stem]:
            where[s] = stem
    out = {stem: {} for stem in srcs}  # a -> {b: reason}
    for stem, path in srcs.items():
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            text = f.read()
        for h in INCLUDE.findall(text):
            b = owner.get(os.path.basename(h))
            if b and b != stem:
                out[stem].setdefault(b, f"includes {os.path.basename(h)}")
        for s in sorted(undefs[stem]):
            b = where.get(s)
            if b and b != stem:
                out[stem].setdefault(b, f"calls {s}")
    return out


def loops(graph):
    """Tarjan's strongly connected components of more than one node."""
    index, low, on, stack, found = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def unprefixed(objdir):
    """Exported names that do not carry their file's prefix: foo_bar.c may
    export foo_bar, foo_bar_* and foo_* (its module's prefix)."""
    out = []
    for stem in sources():
        base = stem.split("/")[1]
        first = base.split("_")[0]
        for s in sorted(symbols(objdir, stem)[0]):
            if s in (base, "main") or s.startswith(base + "_") or s.startswith(first + "_"):
                continue
            out.append(f"{stem}.c exports {s}")
    return out


def main():
    objdir = sys.argv[1] if len(sys.argv) > 1 else "build/rel"
    graph = edges(objdir)
    found = loops(graph)
    nedges = sum(len(v) for v in graph.values())
    names = unprefixed(objdir)
    for n in names:
        print(f"name without its file's prefix: {n}")
    if not found:
        print(f"deps: {len(graph)} files, {nedges} dependencies, no loop, "
              f"{len(names)} unprefixed name(s)")
        return 1 if names else 0
    for comp in found:
        members = set(comp)
        print(f"loop of {len(comp)} files: {' '.join(comp)}")
        for a in comp:
            for b, why in sorted(graph[a].items()):
                if b in members:
                    print(f"  {a} -> {b}: {why}")
    print(f"deps: {len(found)} loop(s), {len(names)} unprefixed name(s)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
