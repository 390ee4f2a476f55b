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
from .size import number_size_of as _number_size_of
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
    anything unusual goes through validate()); PutItem's hot path (issue 3). attrvalue.pxd gives the walk C
    types when Cython compiles this module; the Python here is the whole definition either way."""
    if not isinstance(item, dict):
        _wrong_type("Item", item)
    out = {}
    total = 0
    plain = True
    for name, av in item.items():
        total += _sized_into(out, name, av, 1)
        if type(name) is str and _is_ascii(name):
            total += len(name)
        else:
            plain = False
    if not plain:                       # a name not a str, or not ASCII: the checks in validate_item's order
        total = _names_size(out, total, "attribute name", 0)
    return out, total


def _names_size(m, total, what, overhead):
    """total plus the UTF-8 size (+ overhead) of each non-ASCII name of m (the ASCII ones are counted
    already); a name that is not a str is an error. In m's order, as validate_item checks them."""
    for k in m:
        if type(k) is not str:
            _wrong_type(what, k)
        if not k.isascii():
            total += overhead + len(k.encode("utf-8"))
    return total


# the walk's constants, as C integers when compiled (attrvalue.pxd)
_MAX_DEPTH = MAX_NESTING_DEPTH
_N_DIGITS = numbers.MAX_DIGITS
_N_MIN_EXPONENT = numbers.MIN_EXPONENT
_N_MAX_EXPONENT = numbers.MAX_EXPONENT
_isdigit = str.isdigit                  # called without a method lookup


def _is_ascii(s):
    return s.isascii()


def _utf8_size(s):
    return len(s) if s.isascii() else len(s.encode("utf-8"))


def _sized_into(into, key, av, depth):
    """into[key] = validate(av, depth); return size.value_size of it. `into`: the dict or list being built."""
    if type(av) is dict and len(av) == 1:
        for t, v in av.items():
            if v is None:
                break
            if t == "S":
                if type(v) is not str:
                    _wrong_type("S", v)
                into[key] = {"S": v}
                return _utf8_size(v)
            if t == "N":
                if type(v) is not str:
                    _wrong_type("N", v)
                out = {}
                into[key] = out
                return _number_sized(out, "N", v)
            if t == "M":
                if not isinstance(v, dict):
                    _wrong_type("M", v)
                if not v:
                    into[key] = {"M": {}}
                    return 3
                depth += 1
                if depth > _MAX_DEPTH:
                    raise InvalidValue(NESTING)
                m = {}
                into[key] = {"M": m}
                total = 3
                plain = True
                for k, x in v.items():
                    total += _sized_into(m, k, x, depth)
                    if type(k) is str and _is_ascii(k):
                        total += 1 + len(k)
                    else:
                        plain = False
                if not plain:
                    total = _names_size(m, total, "M key", 1)
                return total
            if t == "L":
                if not isinstance(v, (list, tuple)):
                    _wrong_type("L", v)
                n = len(v)
                if not n:
                    into[key] = {"L": []}
                    return 3
                depth += 1
                if depth > _MAX_DEPTH:
                    raise InvalidValue(NESTING)
                lst = [None] * n
                into[key] = {"L": lst}
                total = 3 + n
                i = 0
                for x in v:
                    total += _sized_into(lst, i, x, depth)
                    i += 1
                return total
            if t == "B":
                if type(v) is not bytes:
                    v = _v_b(v, depth)
                into[key] = {"B": v}
                return len(v)
            if t == "BOOL":
                if type(v) is not bool:
                    _wrong_type("BOOL", v)
                into[key] = {"BOOL": v}
                return 1
            if t == "SS":
                if not isinstance(v, (list, tuple)):
                    _wrong_type("SS", v)
                if not v:
                    raise InvalidValue(SS_EMPTY)
                total = 0
                plain = True
                for x in v:
                    if type(x) is not str:
                        _wrong_type("SS", x)
                    if _is_ascii(x):
                        total += len(x)
                    else:
                        plain = False
                lst = list(v)
                n = len(lst)
                if n <= 4:
                    for i in range(1, n):
                        x = lst[i]
                        for j in range(i):
                            if lst[j] == x:
                                raise InvalidValue(ss_duplicates(v))
                elif len(set(lst)) != n:
                    raise InvalidValue(ss_duplicates(v))
                into[key] = {"SS": lst}
                if not plain:
                    for x in v:
                        if not _is_ascii(x):
                            total += _utf8_size(x)
                return total
            if t == "NULL":
                if type(v) is not bool:
                    _wrong_type("NULL", v)
                if not v:
                    raise InvalidValue(NULL_NOT_TRUE)
                into[key] = {"NULL": True}
                return 1
            if t == "NS":
                if not isinstance(v, (list, tuple)):
                    _wrong_type("NS", v)
                n = len(v)
                if not n:
                    raise InvalidValue(NS_EMPTY)
                lst = [None] * n
                total = 0
                i = 0
                for x in v:
                    if type(x) is not str:
                        _wrong_type("NS", x)
                    total += _number_sized(lst, i, x)
                    i += 1
                if len(set(lst)) != n:     # canonical text is unique per value: "1" and "1.0" are duplicates
                    raise InvalidValue(NS_DUPLICATES)
                into[key] = {"NS": lst}
                return total
            if t == "BS":
                if not isinstance(v, (list, tuple)):
                    _wrong_type("BS", v)
                if not v:
                    raise InvalidValue(BS_EMPTY)
                lst = [x if type(x) is bytes else _v_b(x, depth) for x in v]
                if len(set(lst)) != len(lst):
                    raise InvalidValue(bs_duplicates(lst))
                into[key] = {"BS": lst}
                total = 0
                for x in lst:
                    total += len(x)
                return total
            break
    out = validate(av, depth)          # the general path: empty, several members, unknown members
    into[key] = out
    return _value_size(out)


def _number_sized(into, key, v):
    """into[key] = numbers.canonical(v) (v a str); return size.number_size of it. Plain notation
    ([-]digits[.digits]) within DynamoDB's range and precision is canonicalised here; anything else (and
    every error) is numbers.canonical's."""
    if v.isascii():
        negative = v.startswith("-")
        body = v[1:] if negative else v
        if _isdigit(body):                                  # ASCII: 0-9 only, and at least one
            ip = body
            fp = ""
        else:
            ip, dot, fp = body.partition(".")
            if not (dot and _isdigit(ip) and _isdigit(fp)):
                ip = ""                                     # not plain notation: numbers.canonical's
        if ip:
            lead = ip.lstrip("0")
            frac = fp.rstrip("0")
            if lead:
                exponent = len(lead) - 1                    # adjusted exponent
                d = len(lead) + len(frac) if frac else len(lead.rstrip("0"))    # significant digits
            elif frac:
                d = len(frac.lstrip("0"))
                exponent = d - len(frac) - 1
            else:
                into[key] = "0"                             # zero, whatever its sign
                return 1
            if d <= _N_DIGITS and _N_MIN_EXPONENT <= exponent <= _N_MAX_EXPONENT:
                if len(frac) != len(fp) or (len(lead) != len(ip) and (len(ip) != 1 or not frac)):
                    text = (lead or "0") + "." + frac if frac else lead         # not canonical as it stands
                    into[key] = "-" + text if negative else text
                else:
                    into[key] = v
                return _number_size_of(d, exponent, negative)
    c = numbers.canonical(v)
    into[key] = c
    return _number_size(c)


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
