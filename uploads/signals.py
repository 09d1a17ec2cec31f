"""Signals the app sends, each with ``instance`` (the Upload), after the database commit."""

from django.dispatch import Signal

upload_verified = Signal()
upload_failed = Signal()
upload_deleted = Signal()
