"""The library's process lock: one slooh process writes to a library at a time."""

from __future__ import annotations

from pathlib import Path

import filelock

from .._exceptions import LibraryLockedError, StorageError

__all__ = ["acquire_library_lock", "lock_path_for"]


def lock_path_for(db_path: Path) -> Path:
    """The process lock file that sits next to the database."""
    return db_path.with_name(db_path.name + ".lock")


def acquire_library_lock(db_path: Path, base_path: Path) -> filelock.BaseFileLock:
    """Take the library's process lock without waiting, or explain who has it."""
    lock_file = lock_path_for(db_path)
    # thread_local=False: the pipeline may close the tracker from another thread than opened it.
    process_lock = filelock.FileLock(lock_file, timeout=0, thread_local=False)
    try:
        process_lock.acquire()
    except filelock.Timeout:
        raise LibraryLockedError(
            f"another slooh process is using the library at {base_path} "
            f"(lock {lock_file}); wait for it to finish"
        ) from None
    except OSError as exc:
        raise StorageError(f"cannot create the library lock {lock_file}: {exc}") from exc
    return process_lock
