"""Revisions, oldest first by number (Alembic reads their `revision` and `down_revision`)."""
