"""Drive the ASGI application directly, as a server would."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor


def run_asgi(coroutine) -> None:
    """Run ``coroutine`` to completion on a fresh event loop in its own thread.

    Not ``asyncio.run`` in the test's thread: another test's fixture (Playwright's sync
    API, a browser kept for the whole session) may hold a running loop there.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()
