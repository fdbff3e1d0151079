#!/usr/bin/env python3
"""Lengths of the production functions of src/ (docs/engineering.md, "Layout").

    python3 scripts/fn_lengths.py [--over 80] [--all]

A function's length is its lines from `fn` to its closing brace. Test code is
left out: `#[cfg(test)]` modules (inline or in their own file) and `#[test]`
functions. Prints the functions over the limit, longest first, and a summary
line: how many functions, the median, how many over 80, 100 and 150 lines.
"""
import argparse
import re
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FN = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+([A-Za-z0-9_]+)")
TEST_MOD = re.compile(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+([A-Za-z0-9_]+)\s*;")


def test_files():
    """Files that are `#[cfg(test)] mod x;` of their parent."""
    out = set()
    for f in (ROOT / "src").rglob("*.rs"):
        text = f.read_text()
        for m in TEST_MOD.finditer(text):
            name = m.group(1)
            base = f.parent if f.name in ("mod.rs", "lib.rs", "main.rs") else f.parent / f.stem
            for cand in (base / f"{name}.rs", base / name / "mod.rs"):
                out.add(cand.resolve())
    return out


def strip(text):
    """The text with string and char literal contents and comments blanked
    (line breaks kept), so that braces can be counted line by line."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        m = re.match(r'r(#*)"', text[i:i + 10]) if c == "r" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) else None
        if m:
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append('""' + re.sub(r"[^\n]", "", text[i:j]))
            i = j
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + re.sub(r"[^\n]", "", text[i:j + 1]))
            i = j + 1
            continue
        if c == "'":
            m = re.match(r"'(\\.[^']*|[^'\\])'", text[i:i + 12])
            if m:
                out.append("''")
                i += len(m.group(0))
                continue
        out.append(c)
        i += 1
    return "".join(out)


def functions(path):
    lines = strip(path.read_text()).split("\n")
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if re.match(r"\s*#\[cfg\(test\)\]", line):
            # Skip the item that follows (a test module or function).
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j < len(lines) and re.match(r"\s*(pub\s+)?mod\s+\w+\s*\{", lines[j]):
                i = skip_block(lines, j)
                continue
        if re.match(r"\s*#\[test\]", line):
            j = i + 1
            while j < len(lines) and not FN.match(lines[j]):
                j += 1
            i = skip_block(lines, j)
            continue
        m = FN.match(line)
        if m:
            end = skip_block(lines, i)
            if end is not None and end > i:
                out.append((m.group(1), i + 1, end - i))
            i += 1
            continue
        i += 1
    return out


def skip_block(lines, start):
    """The index after the block opened at or after `start` (or a `;` item)."""
    depth = 0
    opened = False
    for k in range(start, len(lines)):
        code = lines[k]
        for c in code:
            if c == "{":
                depth += 1
                opened = True
            elif c == "}":
                depth -= 1
                if opened and depth == 0:
                    return k + 1
        if not opened and code.rstrip().endswith(";"):
            return k + 1
    return len(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--over", type=int, default=80)
    ap.add_argument("--all", action="store_true")
    args = ap.parse_args()
    skip = test_files()
    rows = []
    for f in sorted((ROOT / "src").rglob("*.rs")):
        if f.resolve() in skip:
            continue
        for name, line, n in functions(f):
            rows.append((n, f"{f.relative_to(ROOT)}:{line}", name))
    rows.sort(reverse=True)
    for n, where, name in rows:
        if args.all or n > args.over:
            print(f"{n:5}  {where}  {name}")
    lengths = [r[0] for r in rows]
    print(
        f"{len(lengths)} functions, median {statistics.median(lengths):.0f} lines; "
        f"over 80: {sum(n > 80 for n in lengths)}, over 100: {sum(n > 100 for n in lengths)}, "
        f"over 150: {sum(n > 150 for n in lengths)}"
    )


if __name__ == "__main__":
    main()
