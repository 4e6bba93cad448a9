"""Ids that come from URLs, forms and JSON."""

from __future__ import annotations

#: The largest primary key the databases hold (signed 64-bit). A larger number in a URL
#: is nobody's id: answer "not found", never a database overflow error.
MAX_ID = 2**63 - 1


def safe_id(value) -> int | None:
    """``value`` as a positive database id, or None when it cannot be one."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number <= MAX_ID else None
