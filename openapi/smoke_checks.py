"""The smoke tests' assertion helper (openapi/sdk/smoke.py, tests/mcp/smoke.py): counts the checks
and stops the run at the first that fails, naming it."""

import sys


class Checks:
    def __init__(self, name):
        self.name = name
        self.count = 0

    def __call__(self, cond, what):
        if not cond:
            print(f"{self.name}: FAILED: {what}", file=sys.stderr)
            sys.exit(1)
        self.count += 1
