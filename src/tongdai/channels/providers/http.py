"""The one HTTP call the provider senders make: stdlib ``urllib``, short timeout, JSON in
and out, failures turned into ``DeliveryError`` codes.

Nothing here logs a URL (Messenger's carries the page token), a header or a body.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from tongdai.channels.outbox import DeliveryError

#: Seconds to connect and to wait for each read. A provider slower than this is treated as
#: unreachable and the reply is retried later with back-off.
TIMEOUT = 10


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict | None  # the JSON object answered, or None when it was not one


def post(url: str, *, json_body: dict | None = None, form: dict | None = None,
         headers: dict[str, str] | None = None, code_prefix: str) -> Answer:
    """POST and return the answer (any HTTP status). Network failures and timeouts raise a
    retryable ``DeliveryError`` named ``<code_prefix>:unreachable:<reason>``."""
    all_headers = {"Accept": "application/json", **(headers or {})}
    if json_body is not None:
        data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
        all_headers["Content-Type"] = "application/json; charset=utf-8"
    else:
        data = urllib.parse.urlencode(form or {}).encode("ascii")
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, headers=all_headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return Answer(response.status, _json_object(response.read()))
    except urllib.error.HTTPError as exc:
        with exc:
            return Answer(exc.code, _json_object(exc.read()))
    except TimeoutError:
        raise DeliveryError(f"{code_prefix}:unreachable:timeout") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        name = type(reason).__name__ if isinstance(reason, BaseException) else "URLError"
        if isinstance(reason, TimeoutError):
            name = "timeout"
        raise DeliveryError(f"{code_prefix}:unreachable:{name}") from None
    except (OSError, ValueError) as exc:  # connection reset mid-read, bad URL
        raise DeliveryError(f"{code_prefix}:unreachable:{type(exc).__name__}") from None


def _json_object(raw: bytes) -> dict | None:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None
