"""Signals the app sends, each with ``instance`` (the Upload), after the database commit.

``upload_reviewed`` also has ``decision`` (the ``Decision``: reviewer, before, after, reason, note).
"""

from django.dispatch import Signal

upload_verified = Signal()
upload_failed = Signal()
upload_deleted = Signal()
upload_reviewed = Signal()
