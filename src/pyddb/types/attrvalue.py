"""Attribute values: validation of wire AttributeValues from requests, and Python values <-> wire dicts.

WIRE FORM (docs/datamodel.md): {"S": str}, {"N": canonical text}, {"B": bytes}, {"BOOL": bool},
{"NULL": True}, {"M": {name: AV}}, {"L": [AV]}, {"SS": [str]}, {"NS": [text]}, {"BS": [bytes]}.
validate() returns exactly the value the model stores: a new dict, N and NS canonicalised
(numbers.canonical), B/BS as bytes.

VALIDATION ORDER (dynalite validations/index.js validateAttributeValue, whose tests run against DynamoDB)
    For each type member present, in request order: that member's own checks (for a set: empty, then its
    elements, then duplicates; M and L recurse). After all members: "more than one datatypes". A member whose
    value is null (None) or whose name is not a type counts as absent, as in DynamoDB's JSON reader.
    Nesting depth is checked on entering each M/L (see NESTING below).

NESTING: a top-level attribute value is level 1, each M/L adds one level to its members; a member at level
    33 is rejected (DynamoDB accepts 31 wrapping maps around a scalar and rejects 32 — captured against
    eu-west-2, nubo-db/dynoxide#110). An empty M/L at level 32 is accepted here (not confirmed).

PYTHON VALUES (boto3.dynamodb.types.TypeSerializer / TypeDeserializer, boto3 1.43, mirrored)
    None <-> NULL, bool <-> BOOL, int/Decimal -> N (through boto3's own Decimal context, so the same
    decimal.Inexact/Rounded errors) -> Decimal, str <-> S, bytes/bytearray/Binary -> B -> Binary,
    set/frozenset of numbers/str/binary -> NS/SS/BS -> set (an empty set becomes {"NS": []}, as in boto3),
    Mapping <-> M (dict), list/tuple -> L -> list. float -> TypeError("Float types are not supported. Use
    Decimal types instead."). Differences from boto3: N is deserialized with Decimal(text) and no 38-digit
    context, so numbers such as 1E+100 (returned as 101 digits) read back instead of raising decimal.Rounded
    (boto/boto3#2500, #4693); B/BS values sent are bytes, never bytearray.
"""
import base64
import sys
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow

from . import numbers
from .size import number_size as _number_size
from .size import value_size as _value_size
from .invalid import InvalidValue

# Binary: boto3's own class (boto3.dynamodb.types.Binary), so isinstance() in user code works, or a copy of it
# when boto3 is not installed. Resolved on first use, not at import: importing boto3 costs ~0.1 s, which
# `pyddb serve` and every in-process client would pay for nothing (the wire format never needs the class).
# `attrvalue.Binary` and `pyddb.types.Binary` still work (module __getattr__).
class _FallbackBinary:
    """Binary data in a DynamoDB item, as boto3.dynamodb.types.Binary."""

    def __init__(self, value):
        if not isinstance(value, (bytearray, bytes)):
            raise TypeError("Value must be of the following types: <class 'bytearray'>, <class 'bytes'>")
        self.value = value

    def __eq__(self, other):
        if isinstance(other, _FallbackBinary):
            return self.value == other.value
        return self.value == other

    def __ne__(self, other):
        return not self.__eq__(other)

    def __repr__(self):
        return f"Binary({self.value!r})"

    def __str__(self):
        return self.value

    def __bytes__(self):
        return self.value

    def __hash__(self):
        return hash(self.value)


TYPES = ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")
MAX_NESTING_DEPTH = 32

# --- DynamoDB's texts ------------------------------------------------------------------------------------
# EMPTY, MORE_THAN_ONE, NULL_NOT_TRUE, the three empty-set texts (note the double space in "set  may") and the
# three duplicate texts are asserted by dynalite's tests against DynamoDB (architect/dynalite test/scan.js,
# test/putItem.js) and built by its validations/index.js. NS_DUPLICATES (no prefix, no list) was re-captured
# from DynamoDB in ExtendDB/extenddb#100 (2026); the SS form in truora/minidyn#50.
# NESTING: nubo-db/dynoxide#110 ("Captured against real AWS in eu-west-2").
EMPTY = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
MORE_THAN_ONE = ("Supplied AttributeValue has more than one datatypes set, "
                 "must contain exactly one of the supported datatypes")
INVALID = "One or more parameter values were invalid: "
NULL_NOT_TRUE = INVALID + "Null attribute value types must have the value of true"
SS_EMPTY = INVALID + "An string set  may not be empty"
NS_EMPTY = INVALID + "An number set  may not be empty"
BS_EMPTY = INVALID + "Binary sets should not be empty"
NS_DUPLICATES = "Input collection contains duplicates"
NESTING = ("Nesting Levels have exceeded supported limits: "
           "Attributes in the item have nested levels beyond supported limit")


_binary_class = None


def binary_class() -> type:
    """boto3.dynamodb.types.Binary, or a copy of it without boto3 (imported on the first call)."""
    global _binary_class
    if _binary_class is None:
        try:
            from boto3.dynamodb.types import Binary as cls
        except ImportError:                # pragma: no cover - boto3 is not a dependency
            cls = _FallbackBinary
        _binary_class = cls
    return _binary_class


def __getattr__(name):
    if name == "Binary":
        return binary_class()
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def ss_duplicates(values) -> str:
    return f"{INVALID}Input collection [{', '.join(values)}] contains duplicates."


def bs_duplicates(values) -> str:
    # DynamoDB prints the base64 text it received, and no space before "of".
    shown = ", ".join(base64.b64encode(v).decode("ascii") for v in values)
    return f"{INVALID}Input collection [{shown}]of type BS contains duplicates."


def _wrong_type(type_name, value):
    # A wire value of the wrong JSON type never reaches DynamoDB's validation: its JSON reader answers with a
    # SerializationException (pyddb.validation/shapes owns those texts for requests; this is the fallback).
    raise InvalidValue(f"Unexpected value type for {type_name}: {type(value).__name__}",
                       "SerializationException")


# --- validation of wire values ---------------------------------------------------------------------------
def _v_s(v, depth):
    if type(v) is not str:
        _wrong_type("S", v)
    return v


def _v_n(v, depth):
    if type(v) is not str:
        _wrong_type("N", v)
    return numbers.canonical(v)


def _v_b(v, depth):
    if type(v) is bytes:
        return v
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    _wrong_type("B", v)


def _v_bool(v, depth):
    if type(v) is not bool:
        _wrong_type("BOOL", v)
    return v


def _v_null(v, depth):
    if type(v) is not bool:
        _wrong_type("NULL", v)
    if not v:
        raise InvalidValue(NULL_NOT_TRUE)
    return True


def _v_m(v, depth):
    if not isinstance(v, dict):
        _wrong_type("M", v)
    if not v:
        return {}
    depth += 1
    if depth > MAX_NESTING_DEPTH:
        raise InvalidValue(NESTING)
    out = {k: validate(x, depth) for k, x in v.items()}
    for k in out:
        if type(k) is not str:              # msgpack's reader (strict_map_key) would refuse it later
            _wrong_type("M key", k)
    return out


def _v_l(v, depth):
    if not isinstance(v, (list, tuple)):
        _wrong_type("L", v)
    if not v:
        return []
    depth += 1
    if depth > MAX_NESTING_DEPTH:
        raise InvalidValue(NESTING)
    return [validate(x, depth) for x in v]


def _v_ss(v, depth):
    if not isinstance(v, (list, tuple)):
        _wrong_type("SS", v)
    if not v:
        raise InvalidValue(SS_EMPTY)
    for x in v:
        if type(x) is not str:
            _wrong_type("SS", x)
    if len(set(v)) != len(v):
        raise InvalidValue(ss_duplicates(v))
    return list(v)


def _v_ns(v, depth):
    if not isinstance(v, (list, tuple)):
        _wrong_type("NS", v)
    if not v:
        raise InvalidValue(NS_EMPTY)
    out = []
    for x in v:
        if type(x) is not str:
            _wrong_type("NS", x)
        out.append(numbers.canonical(x))
    if len(set(out)) != len(out):          # canonical text is unique per value: "1" and "1.0" are duplicates
        raise InvalidValue(NS_DUPLICATES)
    return out


def _v_bs(v, depth):
    if not isinstance(v, (list, tuple)):
        _wrong_type("BS", v)
    if not v:
        raise InvalidValue(BS_EMPTY)
    out = [_v_b(x, depth) for x in v]
    if len(set(out)) != len(out):
        raise InvalidValue(bs_duplicates(out))
    return out


_VALIDATORS = {"S": _v_s, "N": _v_n, "B": _v_b, "BOOL": _v_bool, "NULL": _v_null, "M": _v_m, "L": _v_l,
               "SS": _v_ss, "NS": _v_ns, "BS": _v_bs}


def validate(av, _depth: int = 1) -> dict:
    """Validate one wire AttributeValue from a request; return the canonical copy the model stores.
    Raises InvalidValue with DynamoDB's text (see VALIDATION ORDER)."""
    if type(av) is not dict:
        if not isinstance(av, dict):
            _wrong_type("AttributeValue", av)
    if len(av) == 1:
        for t, v in av.items():
            fn = _VALIDATORS.get(t)
            if fn is not None and v is not None:
                return {t: fn(v, _depth)}
    present = [(t, v) for t, v in av.items() if v is not None and t in _VALIDATORS]
    if not present:
        raise InvalidValue(EMPTY)
    out = {}
    for t, v in present:
        out[t] = _VALIDATORS[t](v, _depth)
    if len(present) > 1:
        raise InvalidValue(MORE_THAN_ONE)
    return out


def validate_item(item) -> dict:
    """Validate every attribute value of a wire item ({name: AV}); return the canonical copy.
    Attribute-name rules (length, emptiness) and key rules (size.check_key) are the caller's."""
    if not isinstance(item, dict):
        _wrong_type("Item", item)
    out = {name: validate(av) for name, av in item.items()}
    for name in out:
        if type(name) is not str:
            _wrong_type("attribute name", name)
    return out


def validate_item_sized(item) -> tuple:
    """validate_item and size.item_size in one walk: (the canonical copy, its size by DynamoDB's rules).
    Same checks, same order, same errors as validate_item (the common one-member values are handled inline;
    anything unusual goes through validate()); PutItem's hot path (issue 3)."""
    if not isinstance(item, dict):
        _wrong_type("Item", item)
    out = {}
    total = 0
    for name, av in item.items():
        out[name], n = _sized(av, 1)
        total += n
    for name in out:
        if type(name) is not str:
            _wrong_type("attribute name", name)
        total += len(name) if name.isascii() else len(name.encode("utf-8"))
    return out, total


def _sized(av, depth):
    """(validate(av, depth), size.value_size of it)."""
    if type(av) is dict and len(av) == 1:
        for t, v in av.items():
            if v is None:
                break
            if t == "S":
                if type(v) is not str:
                    _wrong_type("S", v)
                return {"S": v}, (len(v) if v.isascii() else len(v.encode("utf-8")))
            if t == "N":
                c = _v_n(v, depth)
                return {"N": c}, _number_size(c)
            if t == "M":
                if not isinstance(v, dict):
                    _wrong_type("M", v)
                if not v:
                    return {"M": {}}, 3
                depth += 1
                if depth > MAX_NESTING_DEPTH:
                    raise InvalidValue(NESTING)
                m = {}
                total = 3
                for k, x in v.items():
                    m[k], n = _sized(x, depth)
                    total += n
                for k in m:
                    if type(k) is not str:
                        _wrong_type("M key", k)
                    total += 1 + (len(k) if k.isascii() else len(k.encode("utf-8")))
                return {"M": m}, total
            if t == "L":
                if not isinstance(v, (list, tuple)):
                    _wrong_type("L", v)
                if not v:
                    return {"L": []}, 3
                depth += 1
                if depth > MAX_NESTING_DEPTH:
                    raise InvalidValue(NESTING)
                lst = []
                total = 3 + len(v)
                for x in v:
                    y, n = _sized(x, depth)
                    lst.append(y)
                    total += n
                return {"L": lst}, total
            fn = _VALIDATORS.get(t)
            if fn is not None:
                out = {t: fn(v, depth)}
                return out, _value_size(out)
            break
    out = validate(av, depth)          # the general path: empty, several members, unknown members
    return out, _value_size(out)


def value_type(av: dict) -> str:
    """The type member of a validated AttributeValue: "S", "N", ..."""
    for t in av:
        return t
    raise InvalidValue(EMPTY)


# --- Python values -> wire (boto3's TypeSerializer) ------------------------------------------------------
# boto3.dynamodb.types.DYNAMODB_CONTEXT, copied so that the same values raise the same decimal errors.
BOTO3_CONTEXT = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])
FLOAT_ERROR = "Float types are not supported. Use Decimal types instead."
_BYTES = (bytearray, bytes)


def _is_binary(value) -> bool:
    """bytes, bytearray or a Binary. A Binary can exist only once boto3's module is imported (by the user or
    by binary_class()), so that is not done here just to answer no."""
    if isinstance(value, _BYTES):
        return True
    if _binary_class is None and "boto3.dynamodb.types" not in sys.modules:
        return False
    return isinstance(value, binary_class())


def _is_number(value):
    if isinstance(value, (int, Decimal)):
        return True
    if isinstance(value, float):
        raise TypeError(FLOAT_ERROR)
    return False


def _number_text(value):
    text = str(BOTO3_CONTEXT.create_decimal(value))
    if text in ("Infinity", "NaN"):
        raise TypeError("Infinity and NaN not supported")
    return text


def _binary_bytes(value):
    if not isinstance(value, _BYTES):      # a Binary
        value = value.value
    return value if type(value) is bytes else bytes(value)


def serialize(value) -> dict:
    """A Python value -> wire AttributeValue, with boto3's TypeSerializer's choices and errors."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if _is_number(value):
        return {"N": _number_text(value)}
    if isinstance(value, str):
        return {"S": value}
    if _is_binary(value):
        return {"B": _binary_bytes(value)}
    if isinstance(value, AbstractSet):
        if all(map(_is_number, value)):
            return {"NS": [_number_text(v) for v in value]}
        if all(isinstance(v, str) for v in value):
            return {"SS": list(value)}
        if all(map(_is_binary, value)):
            return {"BS": [_binary_bytes(v) for v in value]}
    elif isinstance(value, Mapping):
        return {"M": {k: serialize(v) for k, v in value.items()}}
    elif isinstance(value, (list, tuple)):
        return {"L": [serialize(v) for v in value]}
    raise TypeError(f'Unsupported type "{type(value)}" for value "{value}"')


def serialize_item(item: Mapping) -> dict:
    """{name: Python value} -> wire item."""
    return {name: serialize(v) for name, v in item.items()}


# --- wire -> Python values (boto3's TypeDeserializer) ----------------------------------------------------
def _d_m(v):
    return {k: deserialize(x) for k, x in v.items()}


def _d_l(v):
    return [deserialize(x) for x in v]


_DESERIALIZERS = {
    "S": lambda v: v,
    "N": Decimal,
    "B": lambda v: binary_class()(v),
    "BOOL": lambda v: v,
    "NULL": lambda v: None,
    "M": _d_m,
    "L": _d_l,
    "SS": set,
    "NS": lambda v: set(map(Decimal, v)),
    "BS": lambda v: set(map(binary_class(), v)),
}


def deserialize(av: dict):
    """A wire AttributeValue -> the Python value boto3's resource returns."""
    for t, v in av.items():
        return _DESERIALIZERS[t](v)
    raise TypeError("Value must be a nonempty dictionary whose key is a valid dynamodb type.")


def deserialize_item(item: dict) -> dict:
    """Wire item -> {name: Python value}."""
    return {name: deserialize(av) for name, av in item.items()}
