"""Timing code in a fresh interpreter (import and extension-load costs are only real cold)."""

from __future__ import annotations

import subprocess
import sys


def fresh_interpreter_ms(code: str) -> float:
    """Run ``code`` in a new Python; it must print its own elapsed milliseconds last."""
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return float(output.strip().splitlines()[-1])
