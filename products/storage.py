"""Where image files live. The only module that touches the file store.

A small protocol with a local-folder implementation; an S3-compatible store would implement the
same four methods and be chosen in create_app() by configuration. Several app servers share the
local store by pointing UPLOAD_FOLDER at one shared folder (NFS and the like): names are content
hashes and every file is written whole with an atomic rename, so concurrent writers cannot clash.
"""

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

from flask import current_app


class ImageStore(Protocol):
    """Keeps named, immutable image files."""

    def save(self, name: str, data: bytes) -> None:
        """Store data under name (overwriting is harmless: names are content hashes)."""

    def exists(self, name: str) -> bool:
        """True when a file with this name is stored."""

    def path(self, name: str) -> Path | None:
        """A local path to serve the file from, or None when it is not stored."""

    def delete(self, name: str) -> None:
        """Remove a file; missing files are ignored."""


class LocalImageStore:
    """Image files in one local folder (the instance folder by default)."""

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _safe(self, name: str) -> Path:
        # Names come from our own hashes, but a URL can carry anything: refuse path tricks, and
        # names longer than any file system allows (which fail with an OSError, not a miss).
        if not name or len(name) > 200 or "/" in name or "\\" in name or name.startswith("."):
            raise ValueError("bad image name")
        return self.folder / name

    def save(self, name: str, data: bytes) -> None:
        """Write atomically so a reader never sees half a file."""
        target = self._safe(name)
        if target.is_file():
            # Names are content hashes and files are only ever written whole: it is already there.
            return
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, target)
        except BaseException:
            # A full disk or a killed request must not leave half-written temporary files behind.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def exists(self, name: str) -> bool:
        """True when the file is present."""
        try:
            return self._safe(name).is_file()
        except ValueError:
            return False

    def path(self, name: str) -> Path | None:
        """The file's path, or None."""
        return self._safe(name) if self.exists(name) else None

    def delete(self, name: str) -> None:
        """Remove the file if present."""
        if self.exists(name):
            self._safe(name).unlink()


def image_store() -> ImageStore:
    """The store configured for the running app."""
    return current_app.extensions["image_store"]
