"""The only home of watchdog: tell when a repository's branches move."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer


class _RefEvents(FileSystemEventHandler):
    def __init__(self, git_dir: Path, on_change: Callable[[], None]) -> None:
        self._refs = str(git_dir / "refs") + os.sep
        self._packed = str(git_dir / "packed-refs")
        self._on_change = on_change

    def _is_ref(self, path: str | bytes) -> bool:
        path = os.fsdecode(path)
        # git writes "<ref>.lock" and renames it into place; the rename's destination is the ref itself.
        return not path.endswith(".lock") and (path.startswith(self._refs) or path == self._packed)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        if any(p and self._is_ref(p) for p in paths):
            self._on_change()


class RefWatcher:
    """Calls `on_change` (from a watchdog thread) whenever a ref or packed-refs of `git_dir` changes."""

    def __init__(self, git_dir: Path, on_change: Callable[[], None]) -> None:
        self._observer = Observer()
        self._observer.schedule(_RefEvents(git_dir, on_change), str(git_dir), recursive=True)

    def start(self) -> None:
        """Begin watching (in watchdog's own thread)."""
        self._observer.start()

    def stop(self) -> None:
        """Stop watching and wait for the watch thread to end (nothing to do if it never started)."""
        if self._observer.is_alive():
            self._observer.stop()
            self._observer.join()
