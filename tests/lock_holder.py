"""Another process holding a lock of accounting.files, as a second run would: started,
it takes the lock and says so, and keeps it until the test lets it go."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The child: the same entry points the builds use (claim for a tree, the publish lock of a
# publish directory), a line once it holds the lock, then it waits for its stdin to close.
_CHILD = """
import sys
from pathlib import Path
from accounting import files
from accounting.publish import directory
kind, target = sys.argv[1], Path(sys.argv[2])
lock = files.claim(target) if kind == "claim" else directory._locked(target)
with lock:
    print("held", flush=True)
    sys.stdin.read()
"""


@contextmanager
def holding(target: Path, kind: str = "claim"):
    """Yield the pid of a process holding the lock of `target` (`claim`: a tree a stage
    replaces; `publish`: a publish directory)."""
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, kind, str(target)], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline()
        assert line == "held\n", f"the lock holder did not start: {line!r} {proc.stderr.read()[-2000:]}"
        yield proc.pid
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
