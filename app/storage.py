"""Where stored files live: one interface, two backends, chosen by ``STORAGE_BACKEND``.

- ``local`` (the default of ``make run``): a folder, ``UPLOAD_FOLDER`` (outside ``static/``).
- ``s3``: a bucket of an S3-compatible object storage (``S3_ENDPOINT_URL``, ``S3_BUCKET``, ``S3_REGION``,
  ``S3_ACCESS_KEY_ID``/``S3_SECRET_ACCESS_KEY``, ``S3_PATH_STYLE``), through boto3. Several app servers
  then see the same files.

Files are streamed in both directions (never read whole in memory). Keys are chosen by the caller: random
names (``app/applications/uploads.py``), never the uploaded name. Nothing here checks who may read a
file: downloads go through the app's views, which check first, then stream the object
(``download_response``); no public or presigned URL is ever handed out.

Objects follow the transaction of their rows (``app/applications/stored_files.py``): an object written
during a transaction that does not commit is deleted, and an object whose row is deleted goes only once
the deletion is committed. A process killed between the two leaves an orphan, which ``flask storage
orphans`` finds and deletes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from flask import Flask, current_app

log = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
# Keys are ours: letters, digits, dots, dashes and underscores, no leading dot, no folder.
_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$")


class StorageError(RuntimeError):
    """The storage could not be reached or refused the operation; ``str()`` is French, for the user."""

    def __init__(self, detail: str = ""):
        self.detail = detail
        super().__init__(
            "Le dépôt des fichiers est momentanément indisponible. Réessayez dans quelques minutes : vos autres "
            "réponses sont enregistrées."
        )


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified_at: datetime  # UTC, aware


def check_key(key: str) -> str:
    if not _KEY.match(key or ""):
        raise ValueError(f"clé de stockage invalide : {key!r}")
    return key


class Storage(ABC):
    """The operations every backend offers. ``open`` raises ``FileNotFoundError`` for a missing key."""

    name: str

    @abstractmethod
    def put(self, key: str, source: BinaryIO, size: int, content_type: str) -> None: ...

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A readable stream of the object, to close after reading."""

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def size(self, key: str) -> int | None:
        """The object's size, or None when there is no such object."""

    @abstractmethod
    def objects(self) -> Iterator[StoredObject]: ...

    @abstractmethod
    def check(self) -> None:
        """Raise ``StorageError`` when the storage cannot be used (health check)."""

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def read_to(self, key: str, target: BinaryIO) -> None:
        with contextlib.closing(self.open(key)) as source:
            shutil.copyfileobj(source, target, CHUNK_SIZE)


class LocalStorage(Storage):
    name = "local"

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"<LocalStorage {self.folder}>"

    def _path(self, key: str) -> Path:
        return self.folder / check_key(key)

    def put(self, key: str, source: BinaryIO, size: int, content_type: str) -> None:
        target = self._path(key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Written beside its final name then renamed: a reader never sees half a file.
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".envoi-")
            try:
                with os.fdopen(handle, "wb") as output:
                    while chunk := source.read(CHUNK_SIZE):
                        output.write(chunk)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise StorageError(str(error)) from error

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")  # FileNotFoundError for a missing key

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def size(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    def objects(self) -> Iterator[StoredObject]:
        if not self.folder.is_dir():
            return
        for path in sorted(self.folder.iterdir()):
            if path.is_file() and _KEY.match(path.name):
                stat = path.stat()
                yield StoredObject(path.name, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))

    def check(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if not os.access(self.folder, os.W_OK):
                raise StorageError(f"{self.folder} n'est pas accessible en écriture")
        except OSError as error:
            raise StorageError(str(error)) from error


class S3Storage(Storage):
    name = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        path_style: bool = False,
        prefix: str = "",
        timeout_seconds: float = 10,
    ):
        import boto3
        from botocore.config import Config as BotoConfig

        self.bucket = bucket
        self.prefix = prefix
        self.endpoint_url = endpoint_url
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=BotoConfig(
                s3={"addressing_style": "path" if path_style else "auto"},
                connect_timeout=timeout_seconds,
                read_timeout=timeout_seconds,
                retries={"max_attempts": 2, "mode": "standard"},
                # Checksums only when the operation requires them: S3-compatible servers differ on the newer ones.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def __repr__(self) -> str:
        return f"<S3Storage {self.endpoint_url or 'aws'} {self.bucket}/{self.prefix}>"

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    @staticmethod
    def _errors():
        from botocore.exceptions import BotoCoreError, ClientError

        return BotoCoreError, ClientError

    @staticmethod
    def _is_missing(error) -> bool:
        code = str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))
        return code in {"404", "NoSuchKey", "NotFound"}

    def put(self, key: str, source: BinaryIO, size: int, content_type: str) -> None:
        from boto3.s3.transfer import TransferConfig

        try:
            # Multipart above 8 MB, read from ``source`` part by part.
            self.client.upload_fileobj(
                source,
                self.bucket,
                self._key(key),
                ExtraArgs={"ContentType": content_type},
                Config=TransferConfig(multipart_threshold=8 * 1024 * 1024, use_threads=False),
            )
        except self._errors() as error:
            raise StorageError(str(error)) from error

    def open(self, key: str) -> BinaryIO:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]  # streamed as read
        except self._errors() as error:
            if self._is_missing(error):
                raise FileNotFoundError(key) from error
            raise StorageError(str(error)) from error

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except self._errors() as error:
            if not self._is_missing(error):
                raise StorageError(str(error)) from error

    def size(self, key: str) -> int | None:
        try:
            return int(self.client.head_object(Bucket=self.bucket, Key=self._key(key))["ContentLength"])
        except self._errors() as error:
            if self._is_missing(error):
                return None
            raise StorageError(str(error)) from error

    def objects(self) -> Iterator[StoredObject]:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"][len(self.prefix) :]
                    if _KEY.match(key):
                        yield StoredObject(key, int(item["Size"]), item["LastModified"])
        except self._errors() as error:
            raise StorageError(str(error)) from error

    def check(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except self._errors() as error:
            raise StorageError(str(error)) from error


def storage_from_config(config) -> Storage:
    backend = (config.get("STORAGE_BACKEND") or "local").lower()
    if backend == "local":
        return LocalStorage(config["UPLOAD_FOLDER"])
    if backend == "s3":
        return S3Storage(
            bucket=config["S3_BUCKET"],
            endpoint_url=config.get("S3_ENDPOINT_URL"),
            region=config.get("S3_REGION"),
            access_key_id=config.get("S3_ACCESS_KEY_ID"),
            secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
            path_style=config.get("S3_PATH_STYLE", False),
            prefix=config.get("S3_PREFIX", ""),
            timeout_seconds=config.get("S3_TIMEOUT_SECONDS", 10),
        )
    raise RuntimeError(f"STORAGE_BACKEND inconnu : {backend!r} (attendu : local ou s3)")


def init_app(app: Flask) -> None:
    app.extensions["storage"] = storage_from_config(app.config)


def get_storage() -> Storage:
    return current_app.extensions["storage"]
