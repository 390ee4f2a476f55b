"""pyddb.types: numbers, key encoding, attribute values, stored form, sizes — with DynamoDB's exact texts.

Where a text or a rule was confirmed is cited in the module that defines it; the tests compare the texts
character for character against literals written out here, so a change to a constant fails a test.
"""
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyddb.types import InvalidValue, attrvalue, codec, keycodec, numbers, size

NOT_A_NUMBER = "The parameter cannot be converted to a numeric value"
TOO_MANY_DIGITS = "Attempting to store more than 38 significant digits in a Number"
OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
UNDERFLOW = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
MAX_N = "9.9999999999999999999999999999999999999E+125"


def rejected(fn, *args):
    with pytest.raises(InvalidValue) as info:
        fn(*args)
    return info.value.message


# ---------------------------------------------------------------------------------------------------------
# numbers: validation
# ---------------------------------------------------------------------------------------------------------
def test_38_significant_digits_are_accepted_and_39_rejected():
    d38 = "12345678901234567890123456789012345678"
    assert len(d38) == 38
    assert numbers.canonical(d38) == d38
    assert numbers.canonical("-" + d38[:1] + "." + d38[1:]) == "-1." + d38[1:]
    assert rejected(numbers.canonical, d38 + "9") == TOO_MANY_DIGITS
    assert rejected(numbers.canonical, "-1.23456789012345678901234567890123456789") == TOO_MANY_DIGITS
    assert rejected(numbers.canonical, "0.123456789012345678901234567890123456789") == TOO_MANY_DIGITS


def test_leading_and_trailing_zeros_are_not_significant_digits():
    assert numbers.canonical("000" + "1" * 38 + "000") == "1" * 38 + "000"
    assert numbers.canonical("0.000" + "1" * 38 + "000") == "0.000" + "1" * 38
    assert numbers.canonical("1" + "0" * 100) == "1" + "0" * 100     # 1 digit, magnitude 1E+100


def test_smallest_magnitude_is_1e_minus_130_and_smaller_underflows():
    tiny = "0." + "0" * 129 + "1"
    assert numbers.canonical("1E-130") == tiny
    assert numbers.canonical("-1e-130") == "-" + tiny
    assert numbers.canonical("1.2345E-128") == "0." + "0" * 127 + "12345"
    for text in ("1E-131", "-1e-131", "0.9e-130", "9.9999E-131"):
        assert rejected(numbers.canonical, text) == UNDERFLOW


def test_largest_magnitude_is_9_99e125_and_larger_overflows():
    largest = "9" * 38 + "0" * 88
    assert numbers.canonical(MAX_N) == largest
    assert numbers.canonical("-" + MAX_N) == "-" + largest
    assert numbers.canonical("1E+125") == "1" + "0" * 125
    for text in ("1E+126", "-1e126", "11e125", "1.0e100000000"):
        assert rejected(numbers.canonical, text) == OVERFLOW


def test_range_is_checked_before_digit_count():
    # dynalite checkNum's order: overflow, underflow, then digits
    assert rejected(numbers.canonical, "1" * 39 + "e200") == OVERFLOW
    assert rejected(numbers.canonical, "0." + "0" * 140 + "1" * 39) == UNDERFLOW


@pytest.mark.parametrize("text, canonical", [
    ("1.50", "1.5"), ("1E+2", "100"), ("1e2", "100"), ("-0", "0"), ("+0", "0"), ("0.000", "0"),
    ("0e1000", "0"),
    ("-0.0e-5", "0"), ("1e-3", "0.001"), ("+3", "3"), (".123", "0.123"), ("0001.23", "1.23"), ("1.", "1"),
    ("1e+5", "100000"), ("-17e5", "-1700000"), ("-7.1234", "-7.1234"), ("100", "100"), ("007", "7"),
    ("12.0", "12"), ("-0.0010", "-0.001"), ("-17.4E37", "-174" + "0" * 36), ("123.456e1", "1234.56"),
    ("5E-1", "0.5"), ("0", "0"),
    # boto/boto3#2500 and #4636: what DynamoDB returned for these
    ("1e100", "1" + "0" * 100),
    ("1.00000000000000007629769841092E+50", "100000000000000007629769841092000000000000000000000"),
])
def test_canonical_text_is_dynamodbs_plain_form(text, canonical):
    assert numbers.canonical(text) == canonical
    assert numbers.parse(text) == Decimal(text)


def test_negative_zero_is_zero():
    assert numbers.canonical("-0") == "0"
    assert numbers.canonical("-0.000E-7") == "0"
    assert numbers.encode_key("-0") == numbers.encode_key("0") == b"\x02"
    assert numbers.from_decimal(Decimal("-0")) == "0"


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "-NaN", "inf", "dog", "-dog", " 1", "1 ",
                                  "1_000", ".", "-", "e5", "1e", "1e+", "1.2.3", "0x10", "1,5", "\u0661",
                                  "--1"])
def test_invalid_number_text_names_the_value(text):
    assert rejected(numbers.canonical, text) == f"{NOT_A_NUMBER}: {text}"


def test_empty_number_text_has_no_value_suffix():
    assert rejected(numbers.canonical, "") == NOT_A_NUMBER


def test_from_decimal_applies_the_same_rules():
    assert numbers.from_decimal(Decimal("1.50")) == "1.5"
    assert numbers.from_decimal(12) == "12"
    assert rejected(numbers.from_decimal, Decimal("1E+126")) == OVERFLOW
    assert rejected(numbers.from_decimal, Decimal("1" * 39)) == TOO_MANY_DIGITS
    assert rejected(numbers.from_decimal, Decimal("NaN")) == f"{NOT_A_NUMBER}: NaN"


# ---------------------------------------------------------------------------------------------------------
# numbers: arithmetic
# ---------------------------------------------------------------------------------------------------------
def test_addition_is_exact_to_38_digits():
    assert numbers.add("1", "10000000000000000000000") == "10000000000000000000001"
    assert numbers.subtract("10000000000000000000000", "1") == "9999999999999999999999"
    assert numbers.add("0.1", "0.2") == "0.3"
    assert numbers.add("1.5", "-1.5") == "0"
    assert numbers.add("-5", "2") == "-3"
    assert numbers.add("1" * 38, "0") == "1" * 38


def test_arithmetic_precision_loss_reports_dynamodbs_overflow_text():
    # Alternator test_update_expression_plus_imprecise: DynamoDB answers 1e50 +/- 1 with the overflow text
    big = "1" + "0" * 50
    assert rejected(numbers.add, big, "1") == OVERFLOW
    assert rejected(numbers.subtract, big, "1") == OVERFLOW


def test_arithmetic_overflow_and_underflow():
    nine = "9" + "0" * 125
    assert rejected(numbers.add, nine, nine) == OVERFLOW
    assert rejected(numbers.subtract, nine, "-" + nine) == OVERFLOW
    assert rejected(numbers.subtract, "0." + "0" * 129 + "15", "0." + "0" * 129 + "14") == UNDERFLOW


# ---------------------------------------------------------------------------------------------------------
# numbers: key encoding (memcmp order == numeric order)
# ---------------------------------------------------------------------------------------------------------
@st.composite
def dynamo_numbers(draw):
    if draw(st.integers(0, 20)) == 0:
        return draw(st.sampled_from(["0", "-0", "0.00"]))
    n = draw(st.integers(1, 38))
    digits = str(draw(st.integers(1, 9))) + draw(st.text("0123456789", min_size=n - 1, max_size=n - 1))
    adjusted = draw(st.one_of(st.integers(-130, 125), st.integers(-3, 3), st.sampled_from([-130, 125])))
    sign = draw(st.sampled_from(["", "-"]))
    return f"{sign}{digits}E{adjusted - (len(digits) - 1)}"


@st.composite
def number_pairs(draw):
    a = draw(dynamo_numbers())
    how = draw(st.integers(0, 3))
    if how == 0 or Decimal(a) == 0:
        return a, draw(dynamo_numbers())
    # a close neighbour: same digits extended, shortened, or with the last digit changed
    d = Decimal(a)
    sign, digits, exp = d.as_tuple()
    ds = "".join(map(str, digits))
    if how == 1 and len(ds) < 38:
        ds2, exp2 = ds + str(draw(st.integers(0, 9))), exp - 1
    elif how == 2 and len(ds) > 1:
        ds2, exp2 = ds[:-1], exp + 1
    else:
        ds2, exp2 = ds[:-1] + str(draw(st.integers(0, 9))), exp
    if draw(st.booleans()):
        sign = 1 - sign
    b = f"{'-' if sign else ''}{ds2}E{exp2}"
    try:
        numbers.canonical(b)
    except InvalidValue:
        b = a
    return a, b


@settings(max_examples=600, deadline=None)
@given(number_pairs())
def test_n_key_bytes_order_equals_numeric_order(pair):
    a, b = pair
    ka, kb = numbers.encode_key(a), numbers.encode_key(b)
    da, db = Decimal(a), Decimal(b)
    assert (da < db) == (ka < kb)
    assert (da == db) == (ka == kb)


@settings(max_examples=300, deadline=None)
@given(dynamo_numbers())
def test_n_key_bytes_round_trip_to_canonical_text(text):
    canonical = numbers.canonical(text)
    assert numbers.decode_key(numbers.encode_key(text)) == canonical
    assert numbers.encode_key(canonical) == numbers.encode_key(text)


def test_n_key_encoding_of_edge_values_is_ordered():
    values = ["-" + MAX_N, "-1E+125", "-100", "-12.5", "-12.34", "-12.3", "-12", "-1", "-0.5",
              "-1E-130", "0", "1E-130", "0.5", "1", "12", "12.3", "12.34", "12.5", "100", "1E+125", MAX_N]
    keys = [numbers.encode_key(v) for v in values]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    assert [numbers.decode_key(k) for k in keys] == [numbers.canonical(v) for v in values]


# ---------------------------------------------------------------------------------------------------------
# keycodec
# ---------------------------------------------------------------------------------------------------------
@given(st.text(), st.text())
def test_s_key_bytes_order_is_code_point_order(a, b):
    ka, kb = keycodec.encode({"S": a}), keycodec.encode({"S": b})
    assert (a < b) == (ka < kb)
    assert keycodec.decode(ka, "S") == {"S": a}


@given(st.binary(), st.binary())
def test_b_key_bytes_are_the_raw_bytes(a, b):
    assert keycodec.encode({"B": a}) == a
    assert keycodec.decode(a, "B") == {"B": a}
    assert (a < b) == (keycodec.encode({"B": a}) < keycodec.encode({"B": b}))


def test_n_key_round_trip_through_keycodec():
    assert keycodec.decode(keycodec.encode({"N": "1.50"}), "N") == {"N": "1.5"}


def test_prefix_end_is_the_exclusive_upper_bound_of_begins_with():
    assert keycodec.prefix_end(b"ab") == b"ac"
    assert keycodec.prefix_end(b"a\xff\xff") == b"b"
    assert keycodec.prefix_end(b"\xff\xff") is None
    assert keycodec.prefix_end(b"") is None


@given(st.text(max_size=4), st.text(max_size=6))
def test_begins_with_range_matches_exactly_the_strings_with_that_prefix(prefix, s):
    low, low_inc, high, high_inc = keycodec.condition_range("BEGINS_WITH", [{"S": prefix}])
    k = keycodec.encode({"S": s})
    inside = (k >= low) and (high is None or k < high)
    assert inside == s.startswith(prefix)


def test_condition_ranges():
    one, two = keycodec.encode({"N": "1"}), keycodec.encode({"N": "2"})
    assert keycodec.condition_range("=", [{"N": "1"}]) == (one, True, one, True)
    assert keycodec.condition_range("<", [{"N": "1"}]) == (None, False, one, False)
    assert keycodec.condition_range("<=", [{"N": "1"}]) == (None, False, one, True)
    assert keycodec.condition_range(">", [{"N": "1"}]) == (one, False, None, False)
    assert keycodec.condition_range(">=", [{"N": "1"}]) == (one, True, None, False)
    assert keycodec.condition_range("BETWEEN", [{"N": "1"}, {"N": "2"}]) == (one, True, two, True)
    with pytest.raises(ValueError):
        keycodec.condition_range("BEGINS_WITH", [{"N": "1"}])


# ---------------------------------------------------------------------------------------------------------
# attrvalue: validation texts
# ---------------------------------------------------------------------------------------------------------
INVALID = "One or more parameter values were invalid: "


@pytest.mark.parametrize("av, message", [
    ({}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    ({"S": None}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    ({"X": "1"}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    ({"S": "a", "N": "1"}, "Supplied AttributeValue has more than one datatypes set, "
                           "must contain exactly one of the supported datatypes"),
    ({"S": "a", "N": "b"}, f"{NOT_A_NUMBER}: b"),            # a member's own error comes first
    ({"S": "a", "N": ""}, NOT_A_NUMBER),
    ({"NULL": False}, INVALID + "Null attribute value types must have the value of true"),
    ({"SS": []}, INVALID + "An string set  may not be empty"),
    ({"NS": []}, INVALID + "An number set  may not be empty"),
    ({"BS": []}, INVALID + "Binary sets should not be empty"),
    ({"SS": ["a", "a"]}, INVALID + "Input collection [a, a] contains duplicates."),
    ({"SS": ["x", "a", "b", "a"]}, INVALID + "Input collection [x, a, b, a] contains duplicates."),
    ({"BS": [b"b", b"b"]}, INVALID + "Input collection [Yg==, Yg==]of type BS contains duplicates."),
    ({"NS": ["1", "1"]}, "Input collection contains duplicates"),
    ({"NS": ["1", "1.0"]}, "Input collection contains duplicates"),
    ({"NS": ["100", "1E+2"]}, "Input collection contains duplicates"),
    ({"NS": ["1", ""]}, NOT_A_NUMBER),
    ({"NS": ["1", "b"]}, f"{NOT_A_NUMBER}: b"),
    ({"N": "123456789012345678901234567890123456789"}, TOO_MANY_DIGITS),
    ({"N": "-1.23456789012345678901234567890123456789"}, TOO_MANY_DIGITS),
    ({"N": "1e126"}, OVERFLOW), ({"N": "-1e126"}, OVERFLOW),
    ({"N": "1e-131"}, UNDERFLOW), ({"N": "-1e-131"}, UNDERFLOW),
    ({"M": {"a": {"N": "x"}}}, f"{NOT_A_NUMBER}: x"),
    ({"L": [{"S": "ok"}, {}]},
     "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
])
def test_validation_error_texts(av, message):
    assert rejected(attrvalue.validate, av) == message


def test_validation_errors_are_validation_exceptions():
    with pytest.raises(InvalidValue) as info:
        attrvalue.validate({"NULL": False})
    assert info.value.error_type == "ValidationException"
    assert str(info.value) == info.value.message


def test_wrong_json_types_are_serialization_errors():
    for av in ({"S": 5}, {"N": 5}, {"BOOL": "true"}, {"NULL": "x"}, {"M": []}, {"L": {}}, {"SS": ["a", 1]},
               {"B": "YQ=="}):
        with pytest.raises(InvalidValue) as info:
            attrvalue.validate(av)
        assert info.value.error_type == "SerializationException"


def test_non_string_names_are_serialization_errors():
    for bad in (lambda: attrvalue.validate({"M": {1: {"S": "x"}}}),
                lambda: attrvalue.validate_item({1: {"S": "x"}})):
        with pytest.raises(InvalidValue) as info:
            bad()
        assert info.value.error_type == "SerializationException"


def test_validate_returns_a_canonical_copy_and_leaves_the_request_alone():
    request = {"M": {"n": {"N": "1.50"}, "ns": {"NS": ["2.0", "1e1"]}, "b": {"B": bytearray(b"x")},
                     "l": {"L": [{"N": "-0"}, {"BS": [memoryview(b"y")]}]}, "e": {"S": ""},
                     "ss": {"SS": ["", "a"]}, "t": {"BOOL": False}, "z": {"NULL": True}}}
    out = attrvalue.validate(request)
    assert out == {"M": {"n": {"N": "1.5"}, "ns": {"NS": ["2", "10"]}, "b": {"B": b"x"},
                         "l": {"L": [{"N": "0"}, {"BS": [b"y"]}]}, "e": {"S": ""},
                         "ss": {"SS": ["", "a"]}, "t": {"BOOL": False}, "z": {"NULL": True}}}
    assert type(out["M"]["b"]["B"]) is bytes
    assert request["M"]["n"] == {"N": "1.50"}
    assert out is not request and out["M"] is not request["M"]


def test_empty_strings_and_binaries_are_allowed_outside_keys():
    assert attrvalue.validate({"S": ""}) == {"S": ""}
    assert attrvalue.validate({"B": b""}) == {"B": b""}
    assert attrvalue.validate({"SS": [""]}) == {"SS": [""]}
    assert attrvalue.validate({"BS": [b""]}) == {"BS": [b""]}


NESTING = ("Nesting Levels have exceeded supported limits: "
           "Attributes in the item have nested levels beyond supported limit")


def wrap(depth, leaf, kind="M"):
    v = leaf
    for _ in range(depth):
        v = {"M": {"n": v}} if kind == "M" else {"L": [v]}
    return v


@pytest.mark.parametrize("kind", ["M", "L"])
def test_nesting_32_levels_accepted_33_rejected(kind):
    assert attrvalue.validate(wrap(31, {"S": "leaf"}, kind)) == wrap(31, {"S": "leaf"}, kind)
    assert rejected(attrvalue.validate, wrap(32, {"S": "leaf"}, kind)) == NESTING
    assert rejected(attrvalue.validate_item, {"pk": {"S": "k"}, "d": wrap(32, {"N": "1"}, kind)}) == NESTING


def test_nesting_counts_maps_and_lists_together():
    v = {"S": "x"}
    for i in range(31):
        v = {"M": {"n": v}} if i % 2 else {"L": [v]}
    attrvalue.validate(v)
    assert rejected(attrvalue.validate, {"L": [v]}) == NESTING


def test_validate_item_keeps_names_and_validates_each_value():
    item = {"a": {"N": "01"}, "é": {"S": "x"}}
    assert attrvalue.validate_item(item) == {"a": {"N": "1"}, "é": {"S": "x"}}
    assert attrvalue.value_type({"NS": ["1"]}) == "NS"


# ---------------------------------------------------------------------------------------------------------
# attrvalue: Python values <-> wire
# ---------------------------------------------------------------------------------------------------------
def test_python_to_wire_conversions():
    B = attrvalue.Binary
    assert attrvalue.serialize_item({
        "s": "x", "i": 3, "d": Decimal("1.50"), "t": True, "none": None, "b": b"\x00",
        "ba": bytearray(b"\x01"), "bin": B(b"\x02"), "m": {"k": [1, "a"]}, "tup": (1,), "ss": {"a"},
        "ns": frozenset({5}), "bs": {B(b"z")},
    }) == {
        "s": {"S": "x"}, "i": {"N": "3"}, "d": {"N": "1.50"}, "t": {"BOOL": True}, "none": {"NULL": True},
        "b": {"B": b"\x00"}, "ba": {"B": b"\x01"}, "bin": {"B": b"\x02"},
        "m": {"M": {"k": {"L": [{"N": "1"}, {"S": "a"}]}}}, "tup": {"L": [{"N": "1"}]},
        "ss": {"SS": ["a"]}, "ns": {"NS": ["5"]}, "bs": {"BS": [b"z"]},
    }
    assert attrvalue.serialize(set()) == {"NS": []}          # boto3's choice; DynamoDB then rejects it


def test_floats_are_rejected_with_boto3s_text():
    for value in (1.5, [1.5], {"a": 1.5}, {1.5}):
        with pytest.raises(TypeError) as info:
            attrvalue.serialize(value)
        assert str(info.value) == "Float types are not supported. Use Decimal types instead."


def test_unsupported_python_values_are_type_errors():
    with pytest.raises(TypeError, match="Unsupported type"):
        attrvalue.serialize(object())
    with pytest.raises(TypeError, match="Unsupported type"):
        attrvalue.serialize({1, "a"})
    with pytest.raises(TypeError, match="Infinity and NaN not supported"):
        attrvalue.serialize(Decimal("Infinity"))


def test_python_conversions_match_boto3s_serializer():
    types = pytest.importorskip("boto3.dynamodb.types")
    ser, de = types.TypeSerializer(), types.TypeDeserializer()
    samples = [None, True, False, 0, -7, Decimal("1.50"), Decimal("1E+2"), "", "héllo", b"ab",
               [1, "x", None],
               {"a": {"b": [Decimal("0.1")]}}, {"x"}, {1, 2}, {b"a"}, 10 ** 30]
    for v in samples:
        assert attrvalue.serialize(v) == ser.serialize(v), v
        wire = attrvalue.validate(attrvalue.serialize(v))
        assert attrvalue.deserialize(wire) == de.deserialize(wire), v


def test_decimal_errors_are_boto3s():
    import decimal
    with pytest.raises(decimal.Inexact):
        attrvalue.serialize(Decimal("1." + "1" * 40))


def test_wire_to_python_reads_every_valid_number():
    # boto3's deserializer raises decimal.Rounded on these (boto/boto3#2500); pyddb's Table returns them
    assert attrvalue.deserialize({"N": "1" + "0" * 100}) == Decimal("1E+100")
    assert attrvalue.deserialize({"NS": ["1.5", "2"]}) == {Decimal("1.5"), Decimal(2)}
    b = attrvalue.deserialize({"B": b"x"})
    assert isinstance(b, attrvalue.Binary) and b == b"x"
    assert attrvalue.deserialize({"BS": [b"x"]}) == {attrvalue.Binary(b"x")}
    wire = {"a": {"NULL": True}, "b": {"L": [{"BOOL": False}]}}
    assert attrvalue.deserialize_item(wire) == {"a": None, "b": [False]}


# ---------------------------------------------------------------------------------------------------------
# round trips: Python -> wire -> validated -> stored -> wire -> Python
# ---------------------------------------------------------------------------------------------------------
scalars = st.one_of(
    st.none(), st.booleans(), st.text(max_size=8), st.binary(max_size=8),
    st.integers(-10 ** 20, 10 ** 20), st.decimals(allow_nan=False, allow_infinity=False, places=3,
                                                   min_value=-10 ** 9, max_value=10 ** 9),
    st.frozensets(st.text(max_size=4), min_size=1, max_size=4),
    st.frozensets(st.integers(-1000, 1000), min_size=1, max_size=4),
    st.frozensets(st.binary(max_size=4), min_size=1, max_size=4),
)
python_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)), max_leaves=12)


def normalised(v):
    if isinstance(v, frozenset):
        return set(v)
    if isinstance(v, list):
        return [normalised(x) for x in v]
    if isinstance(v, dict):
        return {k: normalised(x) for k, x in v.items()}
    return v


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=6), python_values, max_size=6))
def test_python_wire_stored_round_trip(item):
    wire = attrvalue.validate_item(attrvalue.serialize_item(item))
    stored = codec.encode(wire)
    assert codec.decode(stored) == wire
    assert attrvalue.deserialize_item(codec.decode(stored)) == normalised(item)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=6), python_values, max_size=6),
       st.sampled_from([0, 40, 300, 70000]))
def test_both_codec_backends_write_and_read_the_same_bytes(item, pad):
    """codec S2: msgspec (where installed) and msgpack-python encode a validated item to the same bytes, and
    each decodes what the other wrote, so a database moves between interpreters with either backend. `pad`
    adds a string long enough for each msgpack str/bin length class."""
    import msgpack
    msgspec = pytest.importorskip("msgspec")
    wire = attrvalue.validate_item(attrvalue.serialize_item(item))
    if pad:
        wire["pad"] = {"S": "x" * pad}
        wire["padb"] = {"B": b"y" * pad}
    by_msgpack = msgpack.Packer(use_bin_type=True).pack(wire)
    by_msgspec = msgspec.msgpack.encode(wire)
    assert by_msgpack == by_msgspec
    assert msgpack.unpackb(by_msgspec, raw=False) == msgspec.msgpack.decode(by_msgpack) == wire
    assert codec.encode(wire) == by_msgpack and codec.decode(by_msgpack) == wire


def test_stored_form_keeps_b_as_bytes_and_s_as_str():
    wire = {"b": {"B": b"\xff\x00"}, "s": {"S": "\xff"}, "bs": {"BS": [b"a"]}, "n": {"N": "1.5"}}
    back = codec.decode(codec.encode(wire))
    assert back == wire
    assert type(back["b"]["B"]) is bytes and type(back["bs"]["BS"][0]) is bytes
    assert type(back["s"]["S"]) is str


# ---------------------------------------------------------------------------------------------------------
# size
# ---------------------------------------------------------------------------------------------------------
def test_sizes_follow_the_developer_guide_rules():
    # "item sizes and formats": name bytes + value; S = UTF-8 bytes; B = raw bytes; BOOL/NULL = 1;
    # M/L = 3 + 1 per element + contents; numbers about 1 byte per two significant digits + 1
    assert size.item_size({"id": {"S": "abc"}}) == 2 + 3
    assert size.item_size({"näme": {"S": "€"}}) == 5 + 3
    assert size.item_size({"b": {"B": b"\x00" * 10}}) == 1 + 10              # raw bytes, not base64
    assert size.item_size({"flag": {"BOOL": True}, "x": {"NULL": True}}) == (4 + 1) + (1 + 1)
    assert size.item_size({"m": {"M": {}}, "l": {"L": []}}) == (1 + 3) + (1 + 3)
    assert size.item_size({"l": {"L": [{"S": "ab"}, {"BOOL": False}]}}) == 1 + 3 + (1 + 2) + (1 + 1)
    m = {"m": {"M": {"k": {"S": "ab"}, "kk": {"NULL": True}}}}
    assert size.item_size(m) == 1 + 3 + (1 + 1 + 2) + (1 + 2 + 1)
    assert size.item_size({"ss": {"SS": ["a", "bc"]}, "bs": {"BS": [b"xyz"]}}) == (2 + 3) + (2 + 3)
    assert size.item_size({"ns": {"NS": ["1", "12345"]}}) == 2 + 2 + 4


@pytest.mark.parametrize("text, expected", [
    ("0", 1), ("1", 2), ("12", 2), ("123", 3), ("12345", 4), ("1.5", 3), ("100", 2), ("-1", 3), ("-12.5", 4),
    ("0.001", 2), ("0.01", 2), ("1" * 38, 20), ("1" * 37 + "0", 20), ("-" + "1" * 38, 21),
])
def test_number_size(text, expected):
    assert size.number_size(text) == expected


def test_exactly_400_kb_is_accepted_and_one_byte_more_rejected():
    filler = 409600 - (2 + 1) - 1                      # "pk" + "k", then the name "d"
    item = {"pk": {"S": "k"}, "d": {"S": "x" * filler}}
    assert size.item_size(item) == 409600
    assert size.check_item_size(item) == 409600
    item["d"]["S"] += "x"
    assert rejected(size.check_item_size, item) == "Item size has exceeded the maximum allowed size"
    with pytest.raises(InvalidValue) as info:
        size.check_item_size(item, update=True)
    assert info.value.message == "Item size to update has exceeded the maximum allowed size"


def test_400_kb_limit_counts_names_and_nested_overhead():
    item = {"pk": {"S": "k"}, "m": {"M": {"inner": {"B": b"\x00" * (409600 - 3 - 1 - 3 - 1 - 5)}}}}
    assert size.item_size(item) == 409600
    size.check_item_size(item)
    item["m"]["M"]["i"] = {"NULL": True}
    with pytest.raises(InvalidValue):
        size.check_item_size(item)


def test_key_size_limits():
    hash_msg = ("One or more parameter values were invalid: "
                "Size of hashkey has exceeded the maximum size limit of2048 bytes")
    range_msg = ("One or more parameter values were invalid: "
                 "Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
    size.check_key("p", {"S": "x" * 2048}, is_hash=True)
    size.check_key("p", {"B": b"x" * 2048}, is_hash=True)
    size.check_key("c", {"S": "x" * 1024}, is_hash=False)
    size.check_key("p", {"N": "1" * 38}, is_hash=True)
    assert rejected(size.check_key, "p", {"S": "x" * 2049}, True) == hash_msg
    assert rejected(size.check_key, "p", {"B": b"x" * 2049}, True) == hash_msg
    assert rejected(size.check_key, "p", {"S": "é" * 1025}, True) == hash_msg      # 2050 UTF-8 bytes
    assert rejected(size.check_key, "c", {"S": "x" * 1025}, False) == range_msg
    assert rejected(size.check_key, "c", {"B": b"x" * 1025}, False) == range_msg


def test_empty_key_values_are_rejected_with_the_key_name():
    assert rejected(size.check_key, "pk", {"S": ""}, True) == (
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain "
        "an empty string value. Key: pk")
    assert rejected(size.check_key, "sk", {"B": b""}, False) == (
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain "
        "an empty binary value. Key: sk")


def test_capacity_units():
    # Alternator test_returnconsumedcapacity (against DynamoDB): 1 KB -> 1 WCU, 1 KB + 1 -> 2; 4 KB -> 1 RCU,
    # 4 KB + 1 -> 2; a missing item reads as 1 / 0.5 and writes as 1
    assert size.write_units(0) == 1 and size.write_units(1024) == 1 and size.write_units(1025) == 2
    assert size.write_units(2049) == 3
    assert size.read_units(0, True) == 1 and size.read_units(0, False) == 0.5
    assert size.read_units(4096, True) == 1 and size.read_units(4097, True) == 2
    assert size.read_units(4097, False) == 1.0 and size.read_units(3 * 4096 + 1, False) == 2.0
    assert size.write_units(1025, transactional=True) == 4
    assert size.read_units(4097, True, transactional=True) == 4


def test_capacity_boundary_matches_item_size():
    # Alternator test_long_put: names and values summed to exactly 1 KB are one WCU
    p, c, att = "abcdefghij", "klmnopqrst", "uvwxyzabcd"
    filler = 1024 - (len(p) + len(c) + len(att) + len("pcattanother"))
    item = {"p": {"S": p}, "c": {"S": c}, "att": {"S": att}, "another": {"S": "a" * filler}}
    assert size.write_units(size.item_size(item)) == 1
    item["another"]["S"] += "a"
    assert size.write_units(size.item_size(item)) == 2


_NUMBER_TEXT = st.builds(
    lambda sign, ip, point, fp, exp: sign + ip + point + fp + exp,
    st.sampled_from(["", "-", "+"]),
    st.text("0123456789", max_size=42),
    st.sampled_from(["", ".", "."]),
    st.text("0123456789", max_size=42),
    st.sampled_from(["", "e5", "E-3", "e+0"]),
) | st.text("0123456789.-+eE x", max_size=12)


def _outcome(fn, text):
    try:
        return "ok", fn(text)
    except InvalidValue as e:
        return "error", e.message


@given(_NUMBER_TEXT)
@settings(max_examples=1500, deadline=None)
def test_canonical_fast_path_agrees_with_the_parse(text):
    """numbers.canonical returns plain decimal texts unchanged without parsing them: the same answer, or the
    same error, as the parse/check/format path for every text."""
    assert _outcome(numbers.canonical, text) == _outcome(numbers._canonical_parsed, text)


_INTEGER_TEXT = st.integers(-(10 ** 19), 10 ** 19).map(str) | st.sampled_from(
    ["0", "-0", "007", "1" * 18, "9" * 18, "-" + "9" * 18, "9" * 19, "1.5", "1E+2", "-", "", "\u0661"])


@given(_INTEGER_TEXT, _INTEGER_TEXT)
@settings(max_examples=1500, deadline=None)
def test_integer_arithmetic_fast_path_agrees_with_decimal(a, b):
    """add/subtract compute small plain integers with int(): the same text, or the same error, as the exact
    Decimal path for every pair of valid N strings (and never a different answer for odd inputs)."""
    def exact(op, x, y):
        return numbers._arith(getattr(numbers._EXACT, op)(numbers.Decimal(x), numbers.Decimal(y)))
    for op in ("add", "subtract"):
        try:
            numbers.canonical(a), numbers.canonical(b)
        except InvalidValue:
            continue                                    # add/subtract take valid N strings only
        assert _outcome(lambda _: getattr(numbers, op)(a, b), None) == _outcome(lambda _: exact(op, a, b), None)


def test_codec_falls_back_to_msgpack_without_msgspec():
    """Where msgspec cannot be installed (PyPy), the stored form is msgpack-python's, the same bytes."""
    import subprocess
    import sys
    code = ("import sys; sys.modules['msgspec'] = None\n"
            "from pyddb.types import codec\n"
            "item = {'s': {'S': 'x'}, 'b': {'B': b'\\x00'}, 'l': {'L': [{'NULL': True}]}}\n"
            "assert codec.BACKEND == 'msgpack', codec.BACKEND\n"
            "assert codec.decode(codec.encode(item)) == item\n"
            "print(codec.encode(item).hex())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    item = {"s": {"S": "x"}, "b": {"B": b"\x00"}, "l": {"L": [{"NULL": True}]}}
    assert bytes.fromhex(out.stdout.strip()) == codec.encode(item)
