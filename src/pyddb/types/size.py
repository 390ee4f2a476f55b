"""DynamoDB's item size rules, the 400 KB item limit, key value limits, and capacity units.

SIZE OF AN ITEM (AWS Developer Guide, "DynamoDB item sizes and formats", CapacityUnitCalculations.html)
    item       = sum over attributes of (UTF-8 bytes of the name + size of the value)
    S          = UTF-8 bytes
    B          = raw bytes (not base64)
    N          = 1 + ceil(n / 2) + (1 if n and E are both even) + (1 if negative); 1 for zero; n = significant
                 digits, E = adjusted exponent. The guide says "approximately (1 byte per two significant
                 digits) + (1 byte)"; the exact count is DynamoDB's base-100 storage: one exponent byte,
                 one byte per base-100 digit pair aligned on the decimal point, one terminator byte for
                 negatives — the formula dynalite's db/index.js valSize uses (its tests run against DynamoDB).
    BOOL, NULL = 1
    M          = 3 + sum over members of (1 + UTF-8 bytes of the name + size of the value)
    L          = 3 + sum over elements of (1 + size of the element)
                 ("An attribute of type List or Map requires 3 bytes of overhead, regardless of its contents
                 ... Each List or Map element also requires 1 byte of overhead.")
    SS, NS, BS = sum of the sizes of the elements (dynalite)

LIMITS (AWS Developer Guide, Constraints)
    item <= 409,600 bytes (400 KB; "DynamoDB denotes 1 KB = 1024 bytes"). Partition key value <= 2048 bytes,
    sort key value <= 1024 bytes, both >= 1 byte for S and B (the value only, not the name; N keys are not
    size-checked — dynalite checkKeySize, ScyllaDB Alternator test_limits.py against DynamoDB).

CAPACITY UNITS (AWS Developer Guide, read/write capacity; ScyllaDB Alternator test_returnconsumedcapacity.py)
    write: ceil(size / 1 KB), at least 1; a write replacing an item is charged for the larger of the old and
    new item; a delete or update of a missing item costs 1. Read: ceil(size / 4 KB), at least 1, times 0.5
    when eventually consistent; a missing item reads as size 0 (1 or 0.5). Query/Scan: the sizes of all items
    read are summed first, then rounded. Transactional reads and writes cost twice as much.
"""
from .invalid import InvalidValue

MAX_ITEM_SIZE = 409600
MAX_HASH_KEY_SIZE = 2048
MAX_RANGE_KEY_SIZE = 1024

# --- DynamoDB's texts ------------------------------------------------------------------------------------
# ITEM_TOO_LARGE / ITEM_TOO_LARGE_UPDATE: moto's dynamodb exceptions (ItemSizeTooLarge,
# ItemSizeToUpdateTooLarge) and dynalite validations/putItem.js; the put/update split is also captured against
# DynamoDB by paritysuite/dynamodb-conformance. HASH_KEY_TOO_LARGE has no space in "of2048": moto's
# HashKeyTooLong ("deliberately no space between of and {lim}") and its test against AWS, dynalite's
# test/putItem.js. RANGE_KEY_TOO_LARGE: same sources, plus ScyllaDB Alternator test_limits.py's comment.
# EMPTY_KEY_*: moto KeyIsEmptyStringException (string), dynalite test/putItem.js (binary), and real-AWS
# captures in a conformance suite ("real AWS, 2026-06-24").
ITEM_TOO_LARGE = "Item size has exceeded the maximum allowed size"
ITEM_TOO_LARGE_UPDATE = "Item size to update has exceeded the maximum allowed size"
HASH_KEY_TOO_LARGE = ("One or more parameter values were invalid: "
                      "Size of hashkey has exceeded the maximum size limit of2048 bytes")
RANGE_KEY_TOO_LARGE = ("One or more parameter values were invalid: "
                       "Aggregated size of all range keys has exceeded the size limit of 1024 bytes")

# An index key value over the key limits in an ordinary write (captured from DynamoDB in
# wellcomecollection/platform#2285 and architect/dynalite#35: "... Size limit exceeded for Index Key componentId
# Actual Size: 2175 bytes Max Size: 2048 bytes IndexName: work-sets-index"). For an index sort key the same
# text with "Max Size: 1024 bytes" is NOT CONFIRMED (moto answers with RANGE_KEY_TOO_LARGE instead).
INDEX_KEY_TOO_LARGE = ("One or more parameter values were invalid: Size limit exceeded for Index Key %s "
                       "Actual Size: %d bytes Max Size: %d bytes IndexName: %s")


def check_index_key_size(name: str, av: dict, is_hash: bool, index_name: str) -> None:
    """An index key attribute's S or B value within the key limits (2048 bytes as an index partition key, 1024
    as a sort key), else InvalidValue(INDEX_KEY_TOO_LARGE)."""
    limit = MAX_HASH_KEY_SIZE if is_hash else MAX_RANGE_KEY_SIZE
    for t, v in av.items():
        if t == "S":
            if len(v) * 4 <= limit:                    # UTF-8 spends at most 4 bytes per character
                return
            n = len(v) if v.isascii() else len(v.encode("utf-8"))
        elif t == "B":
            n = len(v)
        else:
            return
        if n > limit:
            raise InvalidValue(INDEX_KEY_TOO_LARGE % (name, n, limit, index_name))


def empty_key_string(name: str) -> str:
    return ("One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
            f"contain an empty string value. Key: {name}")


def empty_key_binary(name: str) -> str:
    return ("One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
            f"contain an empty binary value. Key: {name}")


# --- sizes -----------------------------------------------------------------------------------------------
def number_size(text: str) -> int:
    """Stored size of a canonical N string (see SIZE OF AN ITEM)."""
    negative = text[0] == "-"
    body = text[1:] if negative else text
    point = body.find(".")
    if point < 0:
        digits = body.rstrip("0")
        if not digits:
            return 1                                   # zero
        exponent = len(body) - 1
    elif point == 1 and body[0] == "0":                # 0.00ddd
        fraction = body[2:]
        digits = fraction.lstrip("0")
        exponent = -(len(fraction) - len(digits)) - 1
    else:                                              # ddd.ddd (canonical: no trailing zeros)
        digits = body[:point] + body[point + 1:]
        exponent = point - 1
    return number_size_of(len(digits), exponent, negative)


def number_size_of(n: int, exponent: int, negative: bool) -> int:
    """The stored size of a number of n significant digits with that adjusted exponent: one exponent byte, one
    byte per base-100 digit pair aligned on the decimal point, one terminator byte for a negative."""
    return 1 + (n + 1) // 2 + (0 if (n & 1 or exponent & 1) else 1) + (1 if negative else 0)


def value_size(av: dict) -> int:
    """Size of one AttributeValue (without its attribute name)."""
    # (loops, not sum() over generators: compiled with size.pxd's C integers, this is PutItem's and
    # UpdateItem's size walk)
    for t, v in av.items():
        if t == "S":
            return len(v) if v.isascii() else len(v.encode("utf-8"))
        if t == "N":
            return number_size(v)
        if t == "B":
            return len(v)
        if t == "BOOL" or t == "NULL":
            return 1
        total = 0
        if t == "M":
            total = 3
            for k, x in v.items():
                total += 1 + _name_size(k) + value_size(x)
            return total
        if t == "L":
            total = 3
            for x in v:
                total += 1 + value_size(x)
            return total
        if t == "SS":
            for x in v:
                total += len(x) if x.isascii() else len(x.encode("utf-8"))
            return total
        if t == "NS":
            for x in v:
                total += number_size(x)
            return total
        if t == "BS":
            for x in v:
                total += len(x)
            return total
        raise ValueError(f"not an AttributeValue type: {t!r}")
    raise ValueError("empty AttributeValue")


def _name_size(name: str) -> int:
    return len(name) if name.isascii() else len(name.encode("utf-8"))


def item_size(item: dict) -> int:
    """Size of a wire item by DynamoDB's rules (attribute names count)."""
    total = 0
    for name, av in item.items():
        total += _name_size(name) + value_size(av)
    return total


def check_item_size(item: dict, update: bool = False) -> int:
    """Return the item's size, or raise InvalidValue when it is over 400 KB (exactly 409,600 is accepted).
    update=True gives UpdateItem's wording."""
    size = item_size(item)
    if size > MAX_ITEM_SIZE:
        raise InvalidValue(ITEM_TOO_LARGE_UPDATE if update else ITEM_TOO_LARGE)
    return size


def check_key(name: str, av: dict, is_hash: bool) -> None:
    """The value rules of a table key attribute: non-empty S/B, and at most 2048 (partition) or 1024 (sort)
    bytes. The caller has already checked presence and type against the key schema."""
    for t, v in av.items():
        if t == "S":
            if not v:
                raise InvalidValue(empty_key_string(name))
            size = len(v) if v.isascii() else len(v.encode("utf-8"))
        elif t == "B":
            if not v:
                raise InvalidValue(empty_key_binary(name))
            size = len(v)
        else:
            return
        if is_hash:
            if size > MAX_HASH_KEY_SIZE:
                raise InvalidValue(HASH_KEY_TOO_LARGE)
        elif size > MAX_RANGE_KEY_SIZE:
            raise InvalidValue(RANGE_KEY_TOO_LARGE)


# --- capacity units --------------------------------------------------------------------------------------
def write_units(size: int, transactional: bool = False) -> float:
    """WCUs for writing an item of `size` bytes (pass max(old, new) for a replace; 0 for a missing item)."""
    units = max(1, -(-size // 1024))
    return float(units * 2 if transactional else units)


def read_units(size: int, consistent: bool, transactional: bool = False) -> float:
    """RCUs for reading `size` bytes (one item, or the summed sizes of a Query/Scan page)."""
    units = max(1, -(-size // 4096))
    if transactional:
        return float(units * 2)
    return float(units) if consistent else units * 0.5
