"""Files uploaded to the builder through Gradio, filed by the session that uploaded them.

Gradio's file inputs take a server path from the request and copy that file before any handler runs; mounted in
FastAPI, Gradio does not even check that the path is one it received. So the guard (`ui/guard.py`) lets a file
input name only paths this ledger holds for the same session, and each upload is deleted once its handler has
used it, when its session signs out, or after an hour unused.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)
_MAX_AGE = 3600.0  # seconds an upload waits for the action that uses it


class UploadLedger:
    """Which upload paths each session owns; thread-safe (the guard records, handlers release)."""

    def __init__(self, folder: Path, max_age: float = _MAX_AGE) -> None:
        self.folder = folder.resolve()
        self.max_age = max_age
        self._owned: dict[str, dict[str, float]] = {}  # session key -> path -> when uploaded
        self._lock = threading.Lock()

    def record(self, key: str, paths: Iterable[str]) -> None:
        """File the paths Gradio stored for this session's upload (and forget stale ones)."""
        self.sweep()
        now = time.monotonic()
        with self._lock:
            owned = self._owned.setdefault(key, {})
            for path in paths:
                if self._inside(path):
                    owned[os.path.normpath(path)] = now

    def owns(self, key: str, path: str) -> bool:
        """Whether this session uploaded this path (and it is still kept)."""
        with self._lock:
            return bool(key) and os.path.normpath(path) in self._owned.get(key, {})

    def release(self, key: str, paths: Iterable[str | None]) -> None:
        """The session is done with these uploads: forget and delete them."""
        with self._lock:
            owned = self._owned.get(key, {})
            gone = [os.path.normpath(p) for p in paths if p and owned.pop(os.path.normpath(p), None) is not None]
            doomed = [p for p in gone if not self._held(p)]
        for path in doomed:
            self._delete(path)
        self._clear_strays()

    def drop(self, key: str) -> None:
        """The session ended: delete everything it uploaded and did not use."""
        with self._lock:
            owned = self._owned.pop(key, {})
            doomed = [p for p in owned if not self._held(p)]
        for path in doomed:
            self._delete(path)

    def sweep(self) -> None:
        """Delete uploads older than max_age that no action used."""
        cutoff = time.monotonic() - self.max_age
        with self._lock:
            stale = [(key, path) for key, owned in self._owned.items() for path, at in owned.items() if at < cutoff]
            for key, path in stale:
                del self._owned[key][path]
            self._owned = {key: owned for key, owned in self._owned.items() if owned}
            doomed = [path for _, path in stale if not self._held(path)]
        for path in doomed:
            self._delete(path)

    def _clear_strays(self) -> None:
        """Delete the empty temporary files Gradio leaves beside the uploads.

        Gradio's file inputs create (and never use or delete) an empty temporary file in the upload folder for
        every file they hand to a handler; its upload parser writes each incoming file to a temporary file there
        too, which is open while it is written. Empty ones that no one has open are the leftovers.
        """
        try:
            descriptors = os.listdir("/proc/self/fd")
        except OSError:
            return  # not Linux: leave them to the folder's removal when the server stops
        open_now = set()
        for fd in descriptors:
            try:
                open_now.add(os.readlink(f"/proc/self/fd/{fd}"))
            except OSError:  # closed meanwhile
                continue
        for path in self.folder.glob("tmp*"):
            try:
                if path.is_file() and path.stat().st_size == 0 and str(path) not in open_now:
                    path.unlink()
            except OSError:
                continue

    def _held(self, path: str) -> bool:
        # Two sessions that upload the same bytes get the same path (Gradio names the folder by content hash).
        return any(path in owned for owned in self._owned.values())

    def _inside(self, path: str) -> bool:
        return Path(os.path.normpath(path)).is_relative_to(self.folder)

    def _delete(self, path: str) -> None:
        if not self._inside(path):
            return
        try:
            Path(path).unlink(missing_ok=True)
            parent = Path(path).parent
            if parent != self.folder and not any(parent.iterdir()):
                parent.rmdir()
        except OSError as exc:
            log.warning("upload not deleted path=%s error=%s", path, exc)


def private_upload_folder(data_dir: Path) -> Path:
    """A folder of this process for Gradio's uploads and cache, inside the data folder (not world-readable /tmp),
    after removing the folders of server processes that are gone."""
    root = data_dir / "tmp"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    for old in root.glob("gradio-*"):
        pid = old.name.removeprefix("gradio-")
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    folder = root / f"gradio-{os.getpid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
