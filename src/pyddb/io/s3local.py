"""A local directory standing in for Amazon S3: the buckets DynamoDB's export writes to and import reads from.

MAPPING
    root/                       the S3 root: `LocalS3(root)`; pyddb's default is `<database directory>/s3`,
                                or PYDDB_S3_ROOT, or the `s3_root` the model was opened with (see
                                api/exports.py s3_for)
    root/<bucket>/              the bucket named by S3Bucket (DynamoDB's pattern for it,
                                ^[a-z0-9A-Z]+[.\\-\\w]*[a-z0-9A-Z]+$, admits no '/', so a bucket is always
                                one directory under the root and never a path elsewhere)
    root/<bucket>/<key>         the object `key`; '/' in a key makes subdirectories, as `aws s3 sync`
                                does in both directions, so `aws s3 sync root/<bucket> s3://<bucket>` moves
                                an export to S3 and back unchanged

    A key is refused (KeyError) if it would leave its bucket: empty, absolute, or holding a '.' or '..'
    segment. Listing skips the temporary files of writes in progress (OBJECT WRITES).

OBJECT WRITES
    put_object writes `<path>.<random>.part`, flushes and fsyncs it, then renames it over `<path>`: a reader
    sees the whole object or none, as in S3. Writes never fsync the directory: an export is a copy that can
    be made again, and DynamoDB's own exports are not transactional either.

NAMES AND DIGESTS
    `root_for(configured, database_path)` is the S3 root: `configured` if set, else $PYDDB_S3_ROOT, else
    `<database_path>/s3`. `unique_name()` is 26 random lowercase base32 characters (an export's data file
    name, as DynamoDB's). `etag(data)` is the hex MD5 S3 reports as an object's ETag (and pyddb writes into
    an export's .checksum files); `content_md5(data)` the base64 MD5 (Content-MD5, md5Checksum).

INVARIANTS
    (S3-1) Nothing outside root/<bucket>/ is ever read or written through this module.
    (S3-2) An object is visible to get/list only once complete.
"""
from __future__ import annotations

import base64
import hashlib
import os
import uuid
from typing import BinaryIO, Iterator, List, Optional

PART_SUFFIX = ".part"


def root_for(configured: Optional[str], database_path: str) -> str:
    """The S3 root of a database (NAMES AND DIGESTS)."""
    return configured or os.environ.get("PYDDB_S3_ROOT") or os.path.join(database_path, "s3")


def unique_name() -> str:
    """26 random lowercase base32 characters."""
    return base64.b32encode(os.urandom(16)).decode("ascii").lower()[:26]


def etag(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def content_md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


class NoSuchBucket(Exception):
    """The bucket's directory does not exist."""


class LocalS3:
    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(os.fspath(root))

    # ---- buckets -------------------------------------------------------------------------------------------

    def bucket_path(self, bucket: str) -> str:
        if not bucket or "/" in bucket or os.sep in bucket or bucket in (".", ".."):
            raise NoSuchBucket(bucket)
        return os.path.join(self.root, bucket)

    def bucket_exists(self, bucket: str) -> bool:
        try:
            return os.path.isdir(self.bucket_path(bucket))
        except NoSuchBucket:
            return False

    def create_bucket(self, bucket: str) -> None:
        os.makedirs(self.bucket_path(bucket), exist_ok=True)

    # ---- objects -------------------------------------------------------------------------------------------

    def object_path(self, bucket: str, key: str) -> str:
        parts = key.split("/")
        if not key or key.startswith("/") or any(p in (".", "..") for p in parts) or "\x00" in key:
            raise KeyError(key)                                          # (S3-1)
        if not self.bucket_exists(bucket):
            raise NoSuchBucket(bucket)
        return os.path.join(self.bucket_path(bucket), *[p for p in parts if p])

    def put_object(self, bucket: str, key: str, data: bytes) -> None:
        path = self.object_path(bucket, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = "%s.%s%s" % (path, uuid.uuid4().hex[:12], PART_SUFFIX)
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)                                        # (S3-2)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def open_object(self, bucket: str, key: str) -> BinaryIO:
        """The object for reading (a file opened in binary mode); KeyError if there is none."""
        path = self.object_path(bucket, key)
        try:
            return open(path, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise KeyError(key) from None

    def get_object(self, bucket: str, key: str) -> bytes:
        with self.open_object(bucket, key) as f:
            return f.read()

    def object_size(self, bucket: str, key: str) -> int:
        return os.path.getsize(self.object_path(bucket, key))

    def list_objects(self, bucket: str, prefix: str = "") -> List[str]:
        """The keys of the bucket that start with `prefix` (a plain string prefix, as S3's), sorted as S3
        lists them (by UTF-8 bytes)."""
        base = self.bucket_path(bucket)
        if not os.path.isdir(base):
            raise NoSuchBucket(bucket)
        return sorted((k for k in self._walk(base) if k.startswith(prefix)), key=lambda k: k.encode("utf-8"))

    def _walk(self, base: str) -> Iterator[str]:
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            rel = os.path.relpath(dirpath, base)
            for name in filenames:
                if name.endswith(PART_SUFFIX):
                    continue
                key = name if rel == "." else "/".join(rel.split(os.sep) + [name])
                yield key
