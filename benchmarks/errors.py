"""Why a step could not give a number: ``python -m benchmarks`` prints it as one line and exits 1."""


class BenchmarkError(Exception):
    """A step that cannot measure (a load tool got no replies, a process died); the message says
    what happened in one line, the step is added by the caller."""


def one_line(text, limit=600):
    """A tool's output on one line: its lines stripped and joined with " | ", cut at ``limit``."""
    joined = " | ".join(line.strip() for line in str(text).splitlines() if line.strip()) or "(nothing)"
    return joined if len(joined) <= limit else joined[: limit - 1] + "…"
