"""DynamoDB's types, pure Python (no engine, no files). One module per concern:

    numbers    N validation, canonical text, arithmetic, order-preserving key bytes
    keycodec   S/N/B key values <-> engine key bytes; sort-key conditions -> byte ranges
    attrvalue  wire AttributeValue validation (-> the canonical copy the model stores); Python <-> wire
    codec      item <-> stored msgpack bytes
    size       item size rules, the 400 KB limit, key limits, capacity units
    invalid    InvalidValue: DynamoDB's exact message and error type for any rejected value
"""
from . import attrvalue, codec, keycodec, numbers, size
from .attrvalue import (deserialize, deserialize_item, serialize, serialize_item, validate, validate_item,
                        value_type)
from .invalid import InvalidValue
from .size import check_item_size, check_key, item_size, read_units, value_size, write_units

__all__ = [
    "attrvalue", "codec", "keycodec", "numbers", "size",
    "Binary", "InvalidValue",
    "validate", "validate_item", "value_type",
    "serialize", "serialize_item", "deserialize", "deserialize_item",
    "item_size", "value_size", "check_item_size", "check_key", "read_units", "write_units",
]


def __getattr__(name):
    if name == "Binary":                   # boto3's class, imported on first use (attrvalue.binary_class)
        return attrvalue.binary_class()
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
