"""pyddb: a DynamoDB-compatible database you pip install, embedded or as a local endpoint."""
__version__ = "0.1.0"
