"""Compare whole JSON replies when some values (ids, keys, signed URLs) are random."""

import re


class Matches:
    """Equal to any string that fully matches ``pattern``."""

    def __init__(self, pattern):
        self.pattern = re.compile(pattern)

    def __eq__(self, other):
        return isinstance(other, str) and self.pattern.fullmatch(other) is not None

    def __repr__(self):
        return f"Matches({self.pattern.pattern!r})"


UUID = Matches(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HEX32 = r"[0-9a-f]{32}"
ISO_TIME = Matches(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00")
ANY_STR = Matches(r".*")
