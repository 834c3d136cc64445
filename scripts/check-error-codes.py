#!/usr/bin/env python3
"""Checks that the npm package's ERROR_CODES list every code a client can meet.

A third party switches on `error.code`, so a code the gatekeeper or the client can produce but
ERROR_CODES (js/errors.js) and its type (js/index.d.ts) do not name is a hole in the package's
contract. This gathers the codes from where they are defined, not from a copy:
- docs/protocol.md section 8 (the protocol's codes, the first column of its table);
- the gatekeeper's answers to /v1/authorize: the `code()` arms of the refusal and S3 errors, and
  every `ApiError::new(…, "code", …)` of the HTTP layer but the admin API's;
- the client's own `code()` arms (src/error.rs);
and fails if one is missing from ERROR_CODES, or if js/errors.js and js/index.d.ts differ.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = re.compile(r'"([a-z][a-z0-9_]*)"')


def quoted(text):
    return CODE.findall(text)


def js_list(path, start):
    text = (ROOT / path).read_text()
    body = text[text.index(start):]
    body = body[: body.index("]")]
    return quoted(body)


def code_arms(path):
    """The string literals returned by the `fn code` bodies of a Rust file."""
    text = (ROOT / path).read_text()
    found = []
    for m in re.finditer(r"fn code\([^)]*\)[^{]*\{", text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        found += re.findall(r'=>\s*"([a-z][a-z0-9_]*)"', text[m.end():i])
    return found


def main():
    listed = js_list("js/errors.js", "export const ERROR_CODES")
    typed = js_list("js/index.d.ts", "export declare const ERROR_CODES")
    problems = []
    if listed != typed:
        problems.append(f"js/errors.js and js/index.d.ts list different codes: {sorted(set(listed) ^ set(typed))}")
    if len(set(listed)) != len(listed):
        problems.append("js/errors.js lists a code twice")

    sources = {}
    protocol = (ROOT / "docs/protocol.md").read_text()
    section = protocol[protocol.index("## 8. Error codes"):protocol.index("## 9.")]
    sources["docs/protocol.md section 8"] = re.findall(r"^\| `([a-z][a-z0-9_]*)`", section, re.M)
    for path in ["crates/gatekeeper/src/authorize/refusal.rs", "crates/gatekeeper/src/s3/error.rs", "src/error.rs"]:
        sources[path] = code_arms(path)
    for path in sorted((ROOT / "crates/gatekeeper/src/http").glob("*.rs")):
        if path.name == "audit_api.rs":  # the admin API: not a client's
            continue
        text = path.read_text()
        sources[str(path.relative_to(ROOT))] = re.findall(r'ApiError::new\([^,]+,\s*"([a-z][a-z0-9_]*)"', text)

    total = 0
    for where, codes in sources.items():
        if not codes and not where.startswith("crates/gatekeeper/src/http/"):
            problems.append(f"{where}: no codes found (has the file moved?)")
        for code in codes:
            total += 1
            if code not in listed:
                problems.append(f"{where}: `{code}` is missing from ERROR_CODES")
    for p in problems:
        print("error-codes:", p)
    print(f"error-codes: {len(listed)} codes listed; {total} uses in {len(sources)} sources checked; "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
