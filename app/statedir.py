"""Private server state on disk: directories only this app's user can enter, files only it can read.

Every directory the app keeps state in (sessions, cache, background jobs) goes
through :func:`private_dir`: it is created 0700, and an existing one is used
only if it is a real directory (not a symlink) owned by the app's user with no
group or other access. Anything else is refused with a message naming the
directory and what is wrong, because another local user could have created it
first to read or plant files (the shared temporary directory is world-writable).

Files are written through :func:`write_private`: created 0600 by ``os.open``
(never chmodded afterwards: there is no moment at which another user could open
them), written to a temporary name and renamed into place, so a reader sees the
old or the new content, never half of it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


class StateDirError(RuntimeError):
    """A state directory is not private to the app's user."""


def state_root() -> Path:
    """``PPX_STATE_DIR``, else ``<tempdir>/ppx-<uid>``: the parent of the default session, cache and jobs dirs."""
    configured = os.environ.get("PPX_STATE_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / f"ppx-{os.getuid()}"


def state_dir(name: str) -> Path:
    """``state_root()/name``, the root checked private first (a hostile parent could swap what is inside it)."""
    return private_dir(state_root(), "the state directory (PPX_STATE_DIR)") / name


def _check(path: Path, what: str) -> None:
    info = os.lstat(path)
    hint = f"remove it or point {what} elsewhere (see the README's Privacy section)"
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise StateDirError(f"{what} {path} is not a directory of its own (a symlink or a file); {hint}")
    if info.st_uid != os.getuid():
        raise StateDirError(
            f"{what} {path} belongs to another user (uid {info.st_uid}, the app runs as uid {os.getuid()}); {hint}"
        )
    if info.st_mode & 0o077:
        mode = oct(stat.S_IMODE(info.st_mode))
        raise StateDirError(f"{what} {path} is open to other users (mode {mode}, must be 0o700); {hint}")


def private_dir(path: Path, what: str = "state directory") -> Path:
    """``path`` as a private directory (created 0700 with its parents, or verified); StateDirError if it is not."""
    parent = path.parent
    if parent != path and not parent.exists():
        private_dir(parent, what)
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)  # the umask can only take bits away
    _check(path, what)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` as a 0600 file (created so, never chmodded), atomically replacing it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def tree_size(path: Path) -> int:
    """Bytes in the regular files under ``path`` (0 if it does not exist)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                continue
    return total
