"""Fails on an import cycle between modules of a crate: `a` uses something of `b` and `b` of `a`,
directly or around a longer loop, through `use` or an inline `crate::`/`super::` path.

A module and its own ancestors count as one unit (a parent declares and re-exports its children,
and children use their parent's types), so only cycles between modules neither of which contains
the other are reported. Comments are ignored. Usage: check-import-cycles.py SRC_DIR...
"""
import os, re, sys
from collections import defaultdict

def module_files(src):
    mods = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith('.rs'): continue
            p = os.path.join(root, f)
            rel = os.path.relpath(p, src)[:-3].split(os.sep)
            if rel[-1] in ('mod',): rel = rel[:-1]
            if rel == ['lib'] or rel == ['main']: rel = []
            mods[tuple(rel)] = p
    return mods

def uses(text):
    # collect full use trees, flatten braces roughly
    out = []
    for m in re.finditer(r'^\s*(?:pub(?:\([^)]*\))?\s+)?use\s+([^;]+);', text, re.M):
        tree = m.group(1).replace('\n', ' ')
        out.extend(expand(tree))
    return out

def expand(tree):
    tree = tree.strip()
    m = re.match(r'^(.*?)\{(.*)\}$', tree)
    if not m:
        return [tree.split(' as ')[0].strip()]
    prefix, inner = m.group(1), m.group(2)
    parts, depth, cur = [], 0, ''
    for ch in inner:
        if ch == '{': depth += 1
        if ch == '}': depth -= 1
        if ch == ',' and depth == 0:
            parts.append(cur); cur = ''
        else: cur += ch
    parts.append(cur)
    res = []
    for p in parts:
        p = p.strip()
        if not p: continue
        for e in expand(p):
            res.append((prefix + e) if e != 'self' else prefix.rstrip(':'))
    return res

def resolve(path, here, mods):
    segs = [s for s in path.split('::') if s]
    if not segs: return None
    if segs[0] == 'crate': base, segs = [], segs[1:]
    elif segs[0] == 'super':
        base = list(here)
        while segs and segs[0] == 'super':
            base = base[:-1]; segs = segs[1:]
    elif segs[0] == 'self': base, segs = list(here), segs[1:]
    elif tuple(list(here) + [segs[0]]) in mods: base = list(here)
    else: return None
    cand = base + segs
    while cand and tuple(cand) not in mods: cand = cand[:-1]
    return tuple(cand)

def main(src):
    mods = module_files(src)
    graph = defaultdict(set)
    for mod, path in mods.items():
        here = list(mod)
        # for a non-mod.rs file, `super` is the parent of the module itself
        text = open(path).read()
        text = '\n'.join(l for l in text.split('\n') if not l.lstrip().startswith('//'))
        inline = re.findall(r'\b(?:crate|super)(?:::[A-Za-z_][A-Za-z0-9_]*)+', text)
        for u in uses(text) + inline:
            t = resolve(u, here, mods)
            # A module and its ancestors (mod declarations, re-exports, `super::` types) are one
            # unit; a cycle is between modules neither of which contains the other.
            related = t is not None and (t[:len(mod)] == mod or mod[:len(t)] == t)
            if t is not None and not related:
                graph[mod].add(t)
    # tarjan
    index, low, stack, on, sccs, i = {}, {}, [], set(), [], [0]
    def strong(v):
        index[v] = low[v] = i[0]; i[0] += 1; stack.append(v); on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: sccs.append(comp)
    for v in list(mods):
        if v not in index: strong(v)
    for c in sccs:
        print(src, 'cycle:', ' <-> '.join('::'.join(m) or 'crate' for m in c))
    return len(sccs)

sys.setrecursionlimit(10000)
total = sum(main(s) for s in sys.argv[1:])
print(f"import cycles: {total} in {len(sys.argv) - 1} crates")
sys.exit(1 if total else 0)
