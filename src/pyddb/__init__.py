"""pyddb: a DynamoDB-compatible database you pip install, embedded or as a local endpoint."""
__version__ = "0.1.0"


def connect(path=None, **options):
    """A boto3-compatible DynamoDB client over the pyddb database at `path` (None: a temporary one)."""
    from pyddb.client import connect as _connect
    return _connect(path, **options)
