"""The landing zone: where raw files arrive, one folder per table, locally or on S3.

    <landing>/<table>/<file>.csv|.jsonl|.parquet    waiting to be loaded
    <landing>/_loaded/<table>/<file>                 loaded into the warehouse
    <landing>/_quarantine/<table>/<file>             rejected, with <file>.error.txt beside it

An archive never overwrites: the same name handled again is kept as `<stem>~v2<suffixes>`,
`~v3`, ..., so every version of a re-dropped file stays (the ledger records each load).

The waiting area is a queue: a file leaves it once it has been handled, so listing it is all
the landing sensor needs to do. Producers must make a file appear whole (write elsewhere, then
rename or upload): names starting with `.` or `_` and ending in `.tmp`/`.part` are ignored.
Files are loaded in name order, so producers name them to sort in time order.
"""

import contextlib
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator
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


def versioned_name(name: str, version: int) -> str:
    """`orders.csv.gz` as archived the `version`th time: orders.csv.gz, orders~v2.csv.gz, ..."""
    if version == 1:
        return name
    stem, dot, suffixes = name.partition(".")
    return f"{stem}~v{version}{dot}{suffixes}"


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
    def exists(self, relative: str) -> bool:
        """Whether `<landing>/<relative>` holds a file."""

    def archive_key(self, file: LandingFile, area: str) -> str:
        """The first `<area>/<folder>/<versioned name>` not taken yet."""
        version = 1
        while self.exists(key := f"{area}/{file.folder}/{versioned_name(file.name, version)}"):
            version += 1
        return key

    @abstractmethod
    def move(self, file: LandingFile, area: str) -> str:
        """Move a waiting file into `<area>/<folder>/`, under the next free version of its
        name (`archive_key`); returns its new key relative to the landing zone."""

    @abstractmethod
    def strays(self, folders: Collection[str]) -> list[str]:
        """Entries no table will ever load: a folder (or file) at the top that is no known
        table folder, and whatever in a table folder is not a regular file (a dangling
        symlink, a subfolder). Hidden, temporary and archive names are not strays."""

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

    def exists(self, relative: str) -> bool:
        return (self.root / relative).is_file()

    def move(self, file: LandingFile, area: str) -> str:
        key = self.archive_key(file, area)
        target, source = self.root / key, self.root / file.key
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            # Archive the data, not a link to something the producer may change or remove.
            shutil.copyfile(source, target.with_name(f".{target.name}.part"))
            os.replace(target.with_name(f".{target.name}.part"), target)
            source.unlink()
        else:
            os.replace(source, target)
        return key

    def strays(self, folders: Collection[str]) -> list[str]:
        if not self.root.is_dir():
            return []
        found = []
        for entry in sorted(self.root.iterdir()):
            if not is_candidate(entry.name):
                continue
            if entry.name not in folders:
                found.append(f"{entry.name}/" if entry.is_dir() else entry.name)
                continue
            found += [
                f"{entry.name}/{inner.name}"
                for inner in sorted(entry.iterdir())
                if is_candidate(inner.name) and not inner.is_file()
            ]
        return found

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

    def exists(self, relative: str) -> bool:
        listing = self.client.list_objects_v2(
            Bucket=self.bucket, Prefix=f"{self.prefix}{relative}", MaxKeys=1
        )
        return any(o["Key"] == f"{self.prefix}{relative}" for o in listing.get("Contents", []))

    def move(self, file: LandingFile, area: str) -> str:
        key = self.archive_key(file, area)
        source, target = f"{self.prefix}{file.key}", f"{self.prefix}{key}"
        # The managed copy switches to multipart above 5 GB, where copy_object would fail.
        self.client.copy({"Bucket": self.bucket, "Key": source}, self.bucket, target)
        self.client.delete_object(Bucket=self.bucket, Key=source)
        return key

    def strays(self, folders: Collection[str]) -> list[str]:
        # Top level only: S3 has no links, and a listing per table folder costs a request each.
        listing = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, Delimiter="/")
        names = [p["Prefix"].removeprefix(self.prefix) for p in listing.get("CommonPrefixes", [])]
        names += [o["Key"].removeprefix(self.prefix) for o in listing.get("Contents", [])]
        return sorted(
            name for name in names if is_candidate(name) and name.rstrip("/") not in folders
        )

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
