"""Checks that every README code block marked `from PATH` appears, line for line, in PATH.

The marked files are exercised by the test suite (www/app.js by the end-to-end tests,
examples/vendor_cosign.py against the spec's vectors), so the README's examples are tested code.
"""
import re
import sys

readme = open("README.md", encoding="utf-8").read()
blocks = re.findall(r"```[a-z]*\n(?:#|//) from (\S+)\n(.*?)```", readme, re.S)
failures = 0
for path, body in blocks:
    want = [line.strip() for line in body.strip("\n").splitlines()]
    have = [line.strip() for line in open(path, encoding="utf-8").read().splitlines()]
    found = any(have[i : i + len(want)] == want for i in range(len(have) - len(want) + 1))
    if not found:
        failures += 1
        print(f"README block from {path} does not appear in {path}")
print(f"readme examples: {len(blocks) - failures} passed, {failures} failed")
sys.exit(1 if failures or not blocks else 0)
