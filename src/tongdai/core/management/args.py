"""Argument helpers shared by the ``tongdai`` management commands."""

from __future__ import annotations

import datetime

from django.core.management.base import CommandError


def date_arg(value: str) -> datetime.date:
    """A ``YYYY-MM-DD`` command-line value as a date; a clear ``CommandError`` otherwise."""
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value[:20]!r}") from exc
