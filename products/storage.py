"""Where image files live: the only module that touches the store, and the only one importing boto3.

A small protocol with two implementations, chosen in create_app() by MEDIA_STORAGE: a local
folder (the default) and an S3-compatible object store. Names are content hashes and a file is
never rewritten, so every copy of a name holds the same bytes: several app servers can share
one folder (UPLOAD_FOLDER on NFS and the like) or one bucket, and caches may keep a file forever.
"""

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

from flask import current_app

#: What every stored file may be cached as: a name is never reused for other bytes.
IMMUTABLE = "public, max-age=31536000, immutable"


class ImageStore(Protocol):
    """Keeps named, immutable image files.

    A name that could not have come from our own hashes (a path trick, an absurd length) makes
    read() raise ValueError; exists() answers False for it and delete() ignores it.
    """

    def save(self, name: str, data: bytes) -> None:
        """Store data under name, once: a name already stored is left as it is."""

    def exists(self, name: str) -> bool:
        """True when a file with this name is stored."""

    def read(self, name: str) -> bytes | None:
        """The file's bytes, or None when it is not stored."""

    def delete(self, name: str) -> None:
        """Remove a file; missing files are ignored."""


def check_name(name: str) -> str:
    """The name itself, or ValueError when it is not one we could have stored.

    Names come from our own hashes, but a URL can carry anything: refuse path tricks, and names
    longer than any file system allows (which fail with an OSError, not a miss).
    """
    if not name or len(name) > 200 or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError("bad image name")
    return name


class LocalImageStore:
    """Image files in one local folder (the instance folder by default)."""

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _safe(self, name: str) -> Path:
        return self.folder / check_name(name)

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

    def read(self, name: str) -> bytes | None:
        """The file's bytes, or None."""
        try:
            return self._safe(name).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def delete(self, name: str) -> None:
        """Remove the file if present."""
        if self.exists(name):
            with contextlib.suppress(FileNotFoundError):  # another server removed it first
                self._safe(name).unlink()


#: S3 error codes that mean "no such object" (HEAD answers with the bare status).
_MISSING = {"NoSuchKey", "404", "NotFound"}
#: PUT with If-None-Match: * refused because the object exists (412) or is being written (409).
_ALREADY_STORED = {"PreconditionFailed", "ConditionalRequestConflict"}


class S3ImageStore:
    """Image files as objects in one bucket of an S3-compatible store (AWS, MinIO, OSS, COS...).

    Keys are the content-hashed names themselves. Objects are written with If-None-Match: * so
    that an existing one is never replaced, and carry their type and a year-long immutable cache
    header for when MEDIA_URL serves them straight from the store or a CDN.
    """

    def __init__(self, bucket: str, client):
        self.bucket = bucket
        self.client = client

    @classmethod
    def from_config(cls, config) -> "S3ImageStore":
        """A store for S3_BUCKET; AWS_* settings left unset fall back to boto3's own lookup
        (~/.aws/config, an instance role), which is how keys stay out of the code."""
        import boto3  # here: a shop on the local store never loads boto3
        from botocore.config import Config

        bucket = config.get("S3_BUCKET")
        if not bucket:
            raise ValueError("MEDIA_STORAGE=s3 needs S3_BUCKET (the bucket that keeps the images)")
        # A session per store: boto3's default session is not safe to share between threads, the
        # client it makes is. Bounded timeouts, so a stalled store cannot hold a thread forever.
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=config.get("AWS_ENDPOINT_URL") or None,
            region_name=config.get("AWS_DEFAULT_REGION") or None,
            aws_access_key_id=config.get("AWS_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("AWS_SECRET_ACCESS_KEY") or None,
            config=Config(
                connect_timeout=5,
                read_timeout=20,
                retries={"max_attempts": 3, "mode": "standard"},
                # One connection per gunicorn thread (8 by default) and some to spare.
                max_pool_connections=32,
                # botocore's default checksum trailers are refused by several S3-compatible
                # stores; TLS already guards the bytes on the way.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )
        return cls(bucket, client)

    def save(self, name: str, data: bytes) -> None:
        """Upload the object unless one of that name exists (same name, same bytes)."""
        from botocore.exceptions import ClientError

        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=check_name(name),
                Body=data,
                ContentType="image/webp" if name.endswith(".webp") else "application/octet-stream",
                CacheControl=IMMUTABLE,
                IfNoneMatch="*",
            )
        except ClientError as error:
            if _code(error) not in _ALREADY_STORED:
                raise

    def exists(self, name: str) -> bool:
        """True when the object is there (one HEAD request)."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=check_name(name))
        except ValueError:
            return False
        except ClientError as error:
            if _code(error) in _MISSING:
                return False
            raise
        return True

    def read(self, name: str) -> bytes | None:
        """The object's bytes, or None when there is none.

        Read whole (renditions are a few hundred kB at most): the connection goes back to the
        pool at once instead of waiting for a slow phone to take the bytes.
        """
        from botocore.exceptions import ClientError

        key = check_name(name)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _code(error) in _MISSING:
                return None
            raise
        with contextlib.closing(response["Body"]) as body:
            return body.read()

    def delete(self, name: str) -> None:
        """Remove the object; S3 answers a missing one with success too."""
        try:
            key = check_name(name)
        except ValueError:
            return
        self.client.delete_object(Bucket=self.bucket, Key=key)


def _code(error) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def media_redirect_url(name: str) -> str | None:
    """Where the stored file is public when MEDIA_URL is set (a CDN or the bucket), else None."""
    base = (current_app.config.get("MEDIA_URL") or "").rstrip("/")
    return f"{base}/{check_name(name)}" if base else None


def image_store() -> ImageStore:
    """The store configured for the running app."""
    return current_app.extensions["image_store"]
