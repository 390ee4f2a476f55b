"""pyddb: a DynamoDB-compatible database you pip install, embedded or as a local endpoint."""
import sys as _sys

__version__ = "0.1.0"


def connect(path=None, **options):
    """A boto3-compatible DynamoDB client over the pyddb database at `path` (None: a temporary one)."""
    from pyddb.client import connect as _connect
    return _connect(path, **options)


def connect_streams(path=None, **options):
    """A boto3-compatible DynamoDB Streams client over the pyddb database at `path` (or use
    `pyddb.connect(...).streams()` to share one open database)."""
    from pyddb.client import connect_streams as _connect
    return _connect(path, **options)


def mock_dynamodb(path=None, **options):
    """Route the DynamoDB calls of unmodified boto3 code to an in-process pyddb database, without HTTP.

        with pyddb.mock_dynamodb():              # temporary; or mock_dynamodb("./data") to persist
            boto3.client("dynamodb").list_tables()

    A context manager and a decorator (of functions, async functions and test classes), like moto's
    mock_aws. See pyddb.boto3_hook."""
    from pyddb.boto3_hook import mock_dynamodb as _mock
    return _mock(path, **options)


if _sys.modules.get("botocore") is not None:    # boto3 is in use: let the sessions and clients made from now on be mockable
    from pyddb import boto3_hook as _boto3_hook  # noqa: F401

