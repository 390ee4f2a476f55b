"""DynamoDB numbers: validation, canonical text, arithmetic, and the order-preserving key encoding.

THE NUMBER TYPE
    A DynamoDB number is a decimal with at most 38 significant digits and a magnitude of 1E-130 to
    9.9999999999999999999999999999999999999E+125 (positive or negative), or 0. In the model a number is
    always its canonical text (below); `Decimal(text)` gives its value exactly.

INPUT SYNTAX (Java BigDecimal's, which DynamoDB accepts)
    [+-]? ( digits [ "." digits? ] | "." digits ) ( [eE] [+-]? digits )?
    ASCII digits only; no spaces, no "_", no NaN/Infinity. Accepted by DynamoDB, per ScyllaDB Alternator's
    tests run against DynamoDB (scylladb/scylladb test/alternator/test_number.py::test_invalid_numbers):
    "3", "-7.1234", "-17e5", "-17.4E37", "+3", ".123", "0001.23", "1e+5", "0e1000"; rejected: "NaN",
    "Infinity", "-Infinity", "-NaN", "dog", "-dog", " 1", "1 ".

CANONICAL TEXT (what DynamoDB returns; see boto/boto3#2500 and #4636: 1E+100 comes back as "1" followed by
100 zeros, "1.00000000000000007629769841092E+50" as a 51-digit integer; dynalite's `Big.toFixed()` agrees)
    Plain notation, never an exponent; no leading zeros except the single "0" before a point; no trailing
    zeros after a point and no point without a fraction; "-" only for negative non-zero values.
    "1.50" -> "1.5", "1E+2" -> "100", "-0" -> "0", "0.000" -> "0", "1e-3" -> "0.001".

CHECK ORDER (dynalite validations/index.js checkNum, whose tests run against DynamoDB)
    empty text, syntax -> overflow (adjusted exponent > 125) -> underflow (< -130) -> more than 38 digits.

KEY ENCODING (encode_key / decode_key): memcmp order of the bytes == numeric order.
    OFFSET  SIZE  DESCRIPTION
    0       1     class: 0x01 negative, 0x02 zero (the whole encoding), 0x03 positive
    1       1     E + 130 for a positive number, 125 - E for a negative one (E = adjusted exponent, -130..125)
    2       k     the significant digits in pairs from the first: pair p = 10*d1 + d2 (a lone last digit d
                  is paired as 10*d); byte = p + 1 (1..100) if positive, 100 - p (0..99) if negative
    2+k     0/1   negative only: terminator 0xFF
    INVARIANTS
    (K1) canonical numbers are injective onto encodings (digits carry no trailing zeros, so a padded last
         pair 10*d is never confused with a real pair d0).
    (K2) positive: a larger exponent wins at byte 1; at equal exponents the digit pairs compare as the digit
         strings do, and a shorter digit string (a prefix) is the smaller number and the shorter encoding.
    (K3) negative: every byte is inverted, and the terminator 0xFF sorts above any inverted pair byte, so a
         shorter magnitude (a prefix) gives the larger number and the larger encoding.
"""
import re
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow

from .invalid import InvalidValue

MAX_DIGITS = 38
MAX_EXPONENT = 125   # adjusted exponent of 9.99...E+125
MIN_EXPONENT = -130  # adjusted exponent of 1E-130

# The 38-digit context, for anyone who computes with DynamoDB numbers. Every trap that would mean a silent
# change of value is on. Emin/Emax are Python's adjusted-exponent bounds, the same as DynamoDB's range.
CONTEXT = Context(prec=MAX_DIGITS, Emin=MIN_EXPONENT, Emax=MAX_EXPONENT,
                  traps=[Clamped, Overflow, Inexact, Rounded, Underflow])
# Exact arithmetic on in-range operands: a sum of two numbers needs at most 125 + 130 + 2 digits.
_EXACT = Context(prec=400, Emin=-999999, Emax=999999, traps=[Inexact, Rounded, Overflow, Underflow])

# --- DynamoDB's texts. Each is compared character for character by tests/model/test_types.py. -----------
# All four (the bare "cannot be converted" for an empty N, and ": <value>" after it otherwise) are asserted by
# dynalite's test suite, which runs against DynamoDB (architect/dynalite test/scan.js, "should return
# ValidationException for empty/invalid numbers in ScanFilter") and produced by its validations/index.js
# checkNum. The 38-digit text also appears in openHAB's DynamoDBBigDecimalItem.java comment quoting the
# service; ScyllaDB Alternator test_number.py asserts the overflow/underflow wording against DynamoDB.
NOT_A_NUMBER = "The parameter cannot be converted to a numeric value"
TOO_MANY_DIGITS = "Attempting to store more than 38 significant digits in a Number"
OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
UNDERFLOW = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
# Arithmetic (SET a = a + :v, ADD) whose exact result needs more than 38 digits: DynamoDB answers with the
# overflow text even when the magnitude is in range (ScyllaDB Alternator test_number.py,
# test_update_expression_plus_imprecise: "Strangely, DynamoDB says that the error is: 'Number overflow. ...'"
# for 1e50 + 1 and 1e50 - 1). Observed for large magnitudes only; used for every precision loss here.
ARITHMETIC_PRECISION_LOSS = OVERFLOW

_SYNTAX = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
_INT32 = 2**31 - 1   # Java BigDecimal's exponent bound: beyond it the text is not a number at all


def _split(text):
    """Text -> (negative, digits, exponent), digits without leading or trailing zeros ("" for zero), value =
    digits * 10**exponent. Raises InvalidValue(NOT_A_NUMBER...) for anything that is not a number."""
    if not isinstance(text, str) or not text:
        raise InvalidValue(NOT_A_NUMBER)
    m = _SYNTAX.fullmatch(text)
    if m is None:
        raise InvalidValue(f"{NOT_A_NUMBER}: {text}")
    sign, ip, fp, ex = m.groups()
    fp = fp or ""
    if not ip and not fp:
        raise InvalidValue(f"{NOT_A_NUMBER}: {text}")
    exp = 0
    if ex is not None:
        exp = int(ex)
        if exp > _INT32 or exp < -_INT32:
            raise InvalidValue(f"{NOT_A_NUMBER}: {text}")
    raw = (ip + fp).lstrip("0")
    digits = raw.rstrip("0")
    exp += len(raw) - len(digits) - len(fp)
    return sign == "-", digits, exp


def _check(digits, exp):
    """The range and precision checks of a non-zero value, in DynamoDB's order."""
    adjusted = exp + len(digits) - 1
    if adjusted > MAX_EXPONENT:
        raise InvalidValue(OVERFLOW)
    if adjusted < MIN_EXPONENT:
        raise InvalidValue(UNDERFLOW)
    if len(digits) > MAX_DIGITS:
        raise InvalidValue(TOO_MANY_DIGITS)


def _format(negative, digits, exp):
    """(negative, digits, exponent) of a non-zero value -> canonical text."""
    if exp >= 0:
        body = digits + "0" * exp
    else:
        point = len(digits) + exp           # how many digits stand before the point
        if point > 0:
            body = digits[:point] + "." + digits[point:]
        else:
            body = "0." + "0" * (-point) + digits
    return "-" + body if negative else body


def _already_canonical(text) -> bool:
    """True when `text` is plain decimal notation that canonical() returns unchanged: an optional "-", an
    integer part without leading zeros ("0" alone allowed), optionally "." and a fraction not ending in 0,
    not negative zero, at most MAX_DIGITS characters (so at most 38 significant digits, and a magnitude
    between 1E-37 and 1E+38: inside DynamoDB's range). The common numbers of a write skip the parse."""
    if type(text) is not str or not 0 < len(text) <= MAX_DIGITS or not text.isascii():
        return False
    body = text[1:] if text[0] == "-" else text
    if body.isdigit():                                  # ASCII: 0-9 only
        return body[0] != "0" or text == "0"
    ip, dot, fp = body.partition(".")
    return (dot == "." and ip.isdigit() and fp.isdigit() and fp[-1] != "0"
            and (ip[0] != "0" or len(ip) == 1))


def canonical(text: str) -> str:
    """Validate an N string exactly as DynamoDB does; return its canonical text (InvalidValue if rejected)."""
    if (type(text) is str and text.isdigit() and text.isascii() and len(text) <= MAX_DIGITS
            and (text[0] != "0" or text == "0")):
        return text                                     # the commonest: a plain integer, inline
    if _already_canonical(text):
        return text
    return _canonical_parsed(text)


def _canonical_parsed(text: str) -> str:
    """canonical() without its fast path: parse, check, format (the reference the fast path is tested against)."""
    negative, digits, exp = _split(text)
    if not digits:
        return "0"
    _check(digits, exp)
    return _format(negative, digits, exp)


def parse(text: str) -> Decimal:
    """Validate an N string and return its exact value."""
    return Decimal(canonical(text))


def from_decimal(value) -> str:
    """A Decimal or int -> canonical text, with DynamoDB's range and precision checks (InvalidValue)."""
    d = Decimal(value)
    if not d.is_finite():
        raise InvalidValue(f"{NOT_A_NUMBER}: {value}")
    sign, digit_tuple, exp = d.as_tuple()
    raw = "".join(map(str, digit_tuple)).lstrip("0")
    digits = raw.rstrip("0")
    if not digits:
        return "0"
    exp += len(raw) - len(digits)
    _check(digits, exp)
    return _format(bool(sign), digits, exp)


def _arith(result: Decimal) -> str:
    sign, digit_tuple, exp = result.as_tuple()
    raw = "".join(map(str, digit_tuple)).lstrip("0")
    digits = raw.rstrip("0")
    if not digits:
        return "0"
    exp += len(raw) - len(digits)
    adjusted = exp + len(digits) - 1
    if adjusted > MAX_EXPONENT:
        raise InvalidValue(OVERFLOW)
    if adjusted < MIN_EXPONENT:
        raise InvalidValue(UNDERFLOW)
    if len(digits) > MAX_DIGITS:
        raise InvalidValue(ARITHMETIC_PRECISION_LOSS)
    return _format(bool(sign), digits, exp)


def _small_int(text) -> bool:
    """An integer of at most 18 digits in plain notation ("-" and ASCII digits): two of them add up to at most
    19 digits, always storable, and str() of the int is the canonical text (no leading zeros, "0", "-n")."""
    if len(text) > 18 or not text.isascii():
        return False
    return text.isdigit() or (text[:1] == "-" and text[1:].isdigit())


def add(a: str, b: str) -> str:
    """a + b for two valid N strings (SET x = a + b, ADD): the canonical result, or InvalidValue when DynamoDB
    would refuse to store it (overflow, underflow, or more than 38 digits -> the overflow text)."""
    if _small_int(a) and _small_int(b):
        return str(int(a) + int(b))                     # the common counter (a property test checks it)
    return _arith(_EXACT.add(Decimal(a), Decimal(b)))


def subtract(a: str, b: str) -> str:
    """a - b for two valid N strings (SET x = a - b), with the same errors as add()."""
    if _small_int(a) and _small_int(b):
        return str(int(a) - int(b))
    return _arith(_EXACT.subtract(Decimal(a), Decimal(b)))


def value(text: str) -> Decimal:
    """The exact value of a canonical (already validated) N string, for comparisons."""
    return Decimal(text)


# --- key encoding ---------------------------------------------------------------------------------------
_NEG, _ZERO, _POS = 1, 2, 3
_ZERO_KEY = b"\x02"
_TERMINATOR = 0xFF


def encode_key(text: str) -> bytes:
    """Canonical (or any valid) N string -> bytes whose memcmp order is numeric order (see KEY ENCODING)."""
    negative, digits, exp = _split(text)
    if not digits:
        return _ZERO_KEY
    _check(digits, exp)
    adjusted = exp + len(digits) - 1
    if len(digits) & 1:
        digits += "0"
    pairs = [int(digits[i:i + 2]) for i in range(0, len(digits), 2)]
    if negative:
        out = bytearray((_NEG, MAX_EXPONENT - adjusted))
        out.extend(100 - p for p in pairs)
        out.append(_TERMINATOR)
    else:
        out = bytearray((_POS, adjusted - MIN_EXPONENT))
        out.extend(p + 1 for p in pairs)
    return bytes(out)


def decode_key(data: bytes) -> str:
    """encode_key's bytes -> canonical N string."""
    cls = data[0]
    if cls == _ZERO:
        return "0"
    if cls == _POS:
        adjusted = data[1] + MIN_EXPONENT
        pairs = [b - 1 for b in data[2:]]
    elif cls == _NEG:
        if data[-1] != _TERMINATOR:
            raise ValueError("not an N key encoding: negative without terminator")
        adjusted = MAX_EXPONENT - data[1]
        pairs = [100 - b for b in data[2:-1]]
    else:
        raise ValueError(f"not an N key encoding: class byte {cls}")
    digits = "".join(f"{p:02d}" for p in pairs).rstrip("0")
    return _format(cls == _NEG, digits, adjusted - len(digits) + 1)
