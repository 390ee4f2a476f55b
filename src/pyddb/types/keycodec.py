"""Key attribute values (S, N, B) <-> the bytes the engine orders keys by; sort-key conditions -> byte ranges.

ENCODING
    TYPE  BYTES                                   ORDER (memcmp of the bytes)
    S     the UTF-8 encoding of the string        code-point order, which is DynamoDB's order for S keys
    B     the raw bytes                           unsigned bytewise, DynamoDB's order for B keys
    N     numbers.encode_key(text)                numeric order
    The type is not in the bytes: a key attribute's type is fixed by the table's AttributeDefinitions, and the
    caller passes it to decode().

INVARIANTS
    (C1) for two values a, b of one key type: a < b in DynamoDB's order  <=>  encode(a) < encode(b) bytewise.
    (C2) decode(encode(v), type) == v for canonical values (N already canonicalised by attrvalue/numbers).
    (C3) begins_with(x, p) for S/B  <=>  encode(p) <= encode(x) < prefix_end(encode(p)) (or no upper bound
         when prefix_end is None).
"""
from . import numbers

KEY_TYPES = ("S", "N", "B")


def encode_value(key_type: str, raw) -> bytes:
    """The inner value of a key attribute (str for S, N text, bytes for B) -> key bytes."""
    if key_type == "S":
        return raw.encode("utf-8")
    if key_type == "B":
        return bytes(raw)
    if key_type == "N":
        return numbers.encode_key(raw)
    raise ValueError(f"not a key attribute type: {key_type!r}")


def encode(av: dict) -> bytes:
    """A key AttributeValue ({"S": ...}, {"N": ...} or {"B": ...}) -> key bytes."""
    (key_type, raw), = av.items()
    return encode_value(key_type, raw)


def decode_value(key_type: str, data: bytes):
    """Key bytes -> the inner value (str, canonical N text, or bytes)."""
    if key_type == "S":
        return data.decode("utf-8")
    if key_type == "B":
        return bytes(data)
    if key_type == "N":
        return numbers.decode_key(data)
    raise ValueError(f"not a key attribute type: {key_type!r}")


def decode(data: bytes, key_type: str) -> dict:
    """Key bytes and the attribute's type -> the wire AttributeValue."""
    return {key_type: decode_value(key_type, data)}


def prefix_end(prefix: bytes):
    """The smallest byte string greater than every string that starts with `prefix`, or None when there is
    none (the prefix is empty or all 0xFF): the exclusive upper bound of a begins_with range."""
    p = bytearray(prefix)
    while p and p[-1] == 0xFF:
        p.pop()
    if not p:
        return None
    p[-1] += 1
    return bytes(p)


def condition_range(operator: str, operands: list):
    """A sort-key condition -> (low, low_inclusive, high, high_inclusive) over key bytes; None = unbounded.

    operator: "=", "<", "<=", ">", ">=", "BETWEEN" (two operands) or "BEGINS_WITH" (S or B only); operands are
    wire AttributeValues of the sort key's type, already validated. The caller checks types and that a
    BETWEEN's low bound is not above its high bound (DynamoDB's own error for that)."""
    if operator == "BEGINS_WITH":
        (key_type, _), = operands[0].items()
        if key_type == "N":
            raise ValueError("begins_with does not apply to N keys")
        low = encode(operands[0])
        return low, True, prefix_end(low), False
    if operator == "BETWEEN":
        return encode(operands[0]), True, encode(operands[1]), True
    bound = encode(operands[0])
    if operator == "=":
        return bound, True, bound, True
    if operator == "<":
        return None, False, bound, False
    if operator == "<=":
        return None, False, bound, True
    if operator == ">":
        return bound, False, None, False
    if operator == ">=":
        return bound, True, None, False
    raise ValueError(f"not a sort-key condition operator: {operator!r}")
