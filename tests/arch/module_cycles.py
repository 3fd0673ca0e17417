"""Import circles between the source files of a crate: each file is a module, an arrow A -> B when
A names `crate::<B's path>` (in a `use` or inline), test modules aside. Prints every circle (a
strongly connected group of two files or more) and exits 1 when there is one.

Usage: python3 tests/arch/module_cycles.py app/src core/src adapters/src
"""

import os
import re
import sys


def modules(src):
    """Module path (tuple) -> file, for every .rs file under src."""
    out = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, src)[:-3].split(os.sep)
            if rel[-1] in ("lib", "main"):
                rel = rel[:-1]
            elif rel[-1] == "mod":
                rel = rel[:-1]
            if rel and rel[0] == "bin":
                continue
            out[tuple(rel)] = path
    return out


def without_tests(text):
    cut = re.search(r"#\[cfg\(test\)\]\s*mod tests\b", text)
    return text[: cut.start()] if cut else text


def references(text):
    """Every `crate::a::b::…` path named, braces expanded one level (`crate::a::{b, c::d}`)."""
    found = []
    for m in re.finditer(r"crate((?:::[A-Za-z_][A-Za-z0-9_]*)+)(::\{([^}]*)\})?", text):
        base = [p for p in m.group(1).split("::") if p]
        if m.group(3):
            for part in m.group(3).split(","):
                part = part.strip().split(" as ")[0]
                found.append(base + [p for p in part.split("::") if p and p != "self"])
        else:
            found.append(base)
    return found


def graph(src):
    mods = modules(src)
    edges = {m: set() for m in mods}
    for mod, path in mods.items():
        text = without_tests(open(path, encoding="utf-8").read())
        for ref in references(text):
            # The longest prefix of the path that is a module file.
            for n in range(len(ref), 0, -1):
                target = tuple(ref[:n])
                if target in mods:
                    if target != mod and target != ():
                        edges[mod].add(target)
                    break
    return mods, edges


def circles(edges):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(group)

    sys.setrecursionlimit(10000)
    for v in edges:
        if v not in index:
            visit(v)
    return out


def main(srcs):
    bad = 0
    for src in srcs:
        mods, edges = graph(src)
        found = circles(edges)
        for group in found:
            bad += 1
            names = sorted(mods[m] for m in group)
            print(f"module-cycles: a circle of {len(group)} files in {src}:")
            members = set(group)
            for m in sorted(group):
                for t in sorted(edges[m] & members):
                    print(f"  {mods[m]} -> {mods[t]}")
        if not found:
            print(f"module-cycles: {src}: {len(mods)} files, no import circle")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["app/src", "core/src", "adapters/src"]))
