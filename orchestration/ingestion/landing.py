"""The landing zone: where raw files arrive, one folder per table, locally or on S3.

    <landing>/<table>/<file>.csv|.jsonl|.parquet    waiting to be loaded
    <landing>/_loaded/<table>/<file>                 loaded into the warehouse
    <landing>/_quarantine/<table>/<file>             rejected, with <file>.error.txt beside it

The waiting area is a queue: a file leaves it once it has been handled, so listing it is all
the landing sensor needs to do. Producers must make a file appear whole (write elsewhere, then
rename or upload): names starting with `.` or `_` and ending in `.tmp`/`.part` are ignored.
Files are loaded in name order, so producers name them to sort in time order.
"""

import contextlib
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

LOADED = "_loaded"
QUARANTINE = "_quarantine"
_IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload")


@dataclass(frozen=True)
class LandingFile:
    """One file waiting in the landing zone."""

    folder: str  # the landing folder, i.e. the table it is for
    name: str
    url: str  # where it arrived; recorded in every row it loads (`_source_file`)
    size: int
    version: str  # changes whenever the content may have changed (etag or mtime, and size)

    @property
    def key(self) -> str:
        return f"{self.folder}/{self.name}"


def is_candidate(name: str) -> bool:
    """Whether a name in a table folder is a file to load (not hidden, temporary or ours)."""
    return not name.startswith((".", "_")) and not name.endswith(_IGNORED_SUFFIXES)


class LandingStore(ABC):
    """List, fetch and move landing files; one implementation per kind of storage."""

    url: str

    @abstractmethod
    def list_files(self, folder: str) -> list[LandingFile]:
        """The files waiting in one table folder, sorted by name."""

    @abstractmethod
    def stat(self, key: str) -> LandingFile | None:
        """The waiting file `<folder>/<name>`, or None if it is not (or no longer) there."""

    @abstractmethod
    def local_copy(self, file: LandingFile) -> contextlib.AbstractContextManager[Path]:
        """A local path holding the file's bytes, valid inside the `with` block."""

    @abstractmethod
    def move(self, file: LandingFile, area: str) -> str:
        """Move a waiting file into `<area>/<folder>/<name>`; returns its new URL."""

    @abstractmethod
    def write_bytes(self, relative: str, data: bytes) -> str:
        """Make `<landing>/<relative>` appear whole with this content; returns its URL."""

    @abstractmethod
    def is_empty(self) -> bool:
        """True if nothing at all was ever put here (no waiting, loaded or rejected file)."""


class LocalLandingStore(LandingStore):
    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = root.as_uri()

    def _file(self, path: Path) -> LandingFile:
        st = path.stat()
        return LandingFile(
            folder=path.parent.name,
            name=path.name,
            url=path.as_uri(),
            size=st.st_size,
            version=f"{st.st_size}-{st.st_mtime_ns}",
        )

    def list_files(self, folder: str) -> list[LandingFile]:
        directory = self.root / folder
        if not directory.is_dir():
            return []
        return [
            self._file(path)
            for path in sorted(directory.iterdir())
            if path.is_file() and is_candidate(path.name)
        ]

    def stat(self, key: str) -> LandingFile | None:
        path = self.root / key
        return self._file(path) if path.is_file() else None

    @contextlib.contextmanager
    def local_copy(self, file: LandingFile) -> Iterator[Path]:
        yield self.root / file.key

    def move(self, file: LandingFile, area: str) -> str:
        target = self.root / area / file.key
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.root / file.key, target)
        return target.as_uri()

    def write_bytes(self, relative: str, data: bytes) -> str:
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written beside its final name under an ignored name, then renamed: never seen half.
        partial = target.with_name(f".{target.name}.part")
        partial.write_bytes(data)
        os.replace(partial, target)
        return target.as_uri()

    def is_empty(self) -> bool:
        return not self.root.is_dir() or not any(p.is_file() for p in self.root.rglob("*"))


class S3LandingStore(LandingStore):
    """S3 through boto3; AWS_ENDPOINT_URL, AWS_REGION and credentials come from the environment."""

    def __init__(self, bucket: str, prefix: str, client=None) -> None:
        import boto3

        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.url = f"s3://{bucket}/{self.prefix}".rstrip("/")
        self.client = client or boto3.client("s3")

    def _file(self, key: str, size: int, etag: str, modified) -> LandingFile:
        folder, name = key.removeprefix(self.prefix).split("/", 1)
        tag = etag.strip('"')
        return LandingFile(
            folder=folder,
            name=name,
            url=f"s3://{self.bucket}/{key}",
            size=size,
            version=f"{tag}-{modified.timestamp():.0f}",
        )

    def list_files(self, folder: str) -> list[LandingFile]:
        files = []
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}{folder}/", Delimiter="/"
        )
        for page in pages:
            for obj in page.get("Contents", []):
                name = obj["Key"].rsplit("/", 1)[-1]
                if name and is_candidate(name):
                    files.append(
                        self._file(obj["Key"], obj["Size"], obj["ETag"], obj["LastModified"])
                    )
        return sorted(files, key=lambda f: f.name)

    def stat(self, key: str) -> LandingFile | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=f"{self.prefix}{key}")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return self._file(
            f"{self.prefix}{key}", head["ContentLength"], head["ETag"], head["LastModified"]
        )

    @contextlib.contextmanager
    def local_copy(self, file: LandingFile) -> Iterator[Path]:
        # DuckDB reads S3 only through its httpfs extension, which it would download at run
        # time; boto3 fetches the object instead, and DuckDB reads the local copy.
        with tempfile.TemporaryDirectory(prefix="landing-") as tmp:
            path = Path(tmp) / file.name
            self.client.download_file(self.bucket, f"{self.prefix}{file.key}", str(path))
            yield path

    def move(self, file: LandingFile, area: str) -> str:
        source = f"{self.prefix}{file.key}"
        target = f"{self.prefix}{area}/{file.key}"
        # The managed copy switches to multipart above 5 GB, where copy_object would fail.
        self.client.copy({"Bucket": self.bucket, "Key": source}, self.bucket, target)
        self.client.delete_object(Bucket=self.bucket, Key=source)
        return f"s3://{self.bucket}/{target}"

    def write_bytes(self, relative: str, data: bytes) -> str:
        key = f"{self.prefix}{relative}"
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data)
        return f"s3://{self.bucket}/{key}"

    def is_empty(self) -> bool:
        listing = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)
        return not listing.get("Contents")


def landing_store(url: str) -> LandingStore:
    """The store for a landing URL (`file:///...` or `s3://bucket/prefix`); see settings."""
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        return S3LandingStore(parsed.netloc, parsed.path)
    if parsed.scheme == "file":
        return LocalLandingStore(Path(unquote(parsed.path)))
    raise ValueError(f"unsupported landing URL {url!r}")
