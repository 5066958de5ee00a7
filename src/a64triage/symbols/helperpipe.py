"""The command's side of the indexer's pipe (``warmup``): does this command have a helper
looking names up in a vmlinux, and what did it send.

Its own module so that ``symtab``, which takes the answers, and ``warmup``, which
forks the helper that runs ``symtab``'s code, do not import each other.
"""

from __future__ import annotations

import os

_INDEXERS: dict[str, int] = {}  # realpath of a vmlinux -> read end of its indexer's pipe
WAIT_SECONDS = 5.0  # how long a command waits for its indexer's answers before looking names up itself


def has_helper(path: str) -> bool:
    """Whether this command's helper is looking names up in ``path`` (and will save its index)."""
    return os.path.realpath(path) in _INDEXERS


def from_helper(path: str, timeout: float = WAIT_SECONDS) -> bytes | None:
    """What this command's helper sent about ``path`` (``symtab.build_index``), waiting for
    it at most ``timeout`` seconds; None when there is none, it failed, or it had nothing."""
    rfd = _INDEXERS.pop(os.path.realpath(path), None)
    if rfd is None:
        return None
    import select
    import time

    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([rfd], [], [], left)[0]:
                return None
            chunk = os.read(rfd, 1 << 20)
            if not chunk:
                return b"".join(chunks) or None
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(rfd)
