"""pyddb/io/ion.py: DynamoDB's ION item lines and the Ion text reader of ImportTable.

The writer is checked against the developer guide's own example line and ion-java's decimal forms, the
reader against every construct THE READER lists, and both against the reference implementation (the
`amazon.ion` package, in the `test` extra) where it is installed.
"""
import base64
import random
from decimal import Decimal

import pytest

from pyddb.io import ion

GUIDE_ITEM = {  # "DynamoDB table export output format", Amazon Ion, in the guide's order
    "Authors": {"SS": ["Author1", "Author2"]}, "Dimensions": {"S": "8.5 x 11.0 x 1.5"},
    "ISBN": {"S": "333-3333333333"}, "Id": {"N": "103"}, "InPublication": {"BOOL": False},
    "PageCount": {"N": "600"}, "Price": {"N": "2000"}, "ProductCategory": {"S": "Book"},
    "Title": {"S": "Book 103 Title"}}
GUIDE_TEXT = """$ion_1_0 {
    Item:{
        Authors:$dynamodb_SS::["Author1","Author2"],
        Dimensions:"8.5 x 11.0 x 1.5",
        ISBN:"333-3333333333",
        Id:103.,
        InPublication:false,
        PageCount:6d2,
        Price:2d3,
        ProductCategory:"Book",
        Title:"Book 103 Title"
    }
}
"""


def read(text):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return list(ion.records(data.splitlines(True)))


def canon(av):
    """A wire AttributeValue with numbers as Decimals and sets sorted, to compare."""
    (t, v), = av.items()
    if t == "N":
        return {t: Decimal(v)}
    if t == "NS":
        return {t: sorted(Decimal(x) for x in v)}
    if t in ("SS", "BS"):
        return {t: sorted(v)}
    if t == "L":
        return {t: [canon(x) for x in v]}
    if t == "M":
        return {t: {k: canon(x) for k, x in v.items()}}
    return av


def canon_item(item):
    return {k: canon(v) for k, v in item.items()}


def test_the_guides_item_is_written_as_the_guides_line():
    one_line = ("$ion_1_0 {Item:{Authors:$dynamodb_SS::[\"Author1\",\"Author2\"],"
                "Dimensions:\"8.5 x 11.0 x 1.5\",ISBN:\"333-3333333333\",Id:103.,InPublication:false,"
                "PageCount:6d2,Price:2d3,"
                "ProductCategory:\"Book\",Title:\"Book 103 Title\"}}\n")
    assert ion.item_line(GUIDE_ITEM) == one_line.encode()
    assert read(GUIDE_TEXT) == [(1, dict(GUIDE_ITEM, PageCount={"N": "6E+2"}, Price={"N": "2E+3"}))]


@pytest.mark.parametrize("number, text", [
    ("0", "0."), ("103", "103."), ("600", "6d2"), ("2000", "2d3"), ("-12500", "-125d2"), ("1.5", "1.5"),
    ("-0.5", "-5d-1"), ("0.05", "5d-2"), ("12.345", "12.345"), ("0.000001", "1d-6"), ("0.0123", "1.23d-2"),
    ("1E-130", "1d-130"),
    ("9.9999999999999999999999999999999999999E+125", "9" * 38 + "d88"),
    ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678."),
    ("0.12345678901234567890123456789012345678", "1.2345678901234567890123456789012345678d-1"),
    ("-1234567890123456789012345678901234567.8", "-1234567890123456789012345678901234567.8"),
])
def test_numbers_are_ion_decimals_as_ion_java_writes_them_with_every_digit(number, text):
    assert ion.write_decimal(number) == text
    (_, item), = read("$ion_1_0 {Item:{n:%s}}\n" % text)
    assert Decimal(item["n"]["N"]) == Decimal(number)
    assert Decimal(item["n"]["N"]).as_tuple().digits == Decimal(number).normalize(
        __import__("decimal").Context(prec=50)).as_tuple().digits


def test_strings_field_names_blobs_sets_and_nesting_are_written_in_ion_text():
    item = {"pk": {"S": 'q"\\\n\t\x00\x07\x1f\x7fé𝄞'}, "e": {"S": ""}, "b": {"B": b"\x00\xff"},
            "eb": {"B": b""},
            "my-attr": {"NULL": True}, "null": {"BOOL": True}, "$12": {"S": "x"}, "it's": {"S": "y"},
            "ns": {"NS": ["1", "0.5"]}, "bs": {"BS": [b"\x01"]}, "l": {"L": [{"M": {}}, {"L": []}]},
            "lone": {"S": "a\ud800"}}
    line = ion.item_line(item).decode("utf-8")
    assert line == ('$ion_1_0 {Item:{pk:"q\\"\\\\\\n\\t\\0\\a\\x1f\\x7fé𝄞",e:"",b:{{AP8=}},eb:{{}},'
                    "'my-attr':null,'null':true,'$12':\"x\",'it\\'s':\"y\","
                    "ns:$dynamodb_NS::[1.,5d-1],bs:$dynamodb_BS::[{{AQ==}}],l:[{},[]],lone:\"a\\ud800\"}}\n")
    (_, back), = read(line)
    assert back == dict(item, b={"B": "AP8="}, eb={"B": ""}, bs={"BS": ["AQ=="]}, ns={"NS": ["1", "0.5"]})


def test_the_reader_takes_every_construct_of_ion_text_an_item_can_be_written_in():
    text = (
        "// a comment\n"
        "$ion_1_0\n"
        "$ion_symbol_table::{symbols:[\"a\"]}\n"
        "/* a block\n comment */ {Item:{'quoted name':\"\\x41\\u00e9\\U0001D11E\\ud834\\udd1e\\? \\/ \\' \\\n"
        "continued\", \"string name\":'''long ''' /* between */\n"
        "'''string''',\n"
        "  ints:[0x1F, -0b101, 1_000, -0], dec:[1.5D2, 0.0, -1.d-1, 12_3.4_5], nul:[null, null.null],\n"
        "  s:$dynamodb_SS::[ \"a\" , \"b\" , ], b:{{ AA\n ==  }}, m:{x:{}, y:[],}, t:true, f:false}}\n"
        "$ion_1_0 {Item:{pk:\"second\"}, other:ignored}\n")
    records = read(text)
    assert [r[0] for r in records] == [5, 11]
    item = records[0][1]
    assert item["quoted name"] == {"S": "A\u00e9\U0001D11E\U0001D11E? / ' continued"}
    assert item["string name"] == {"S": "long string"}
    assert item["ints"] == {"L": [{"N": "31"}, {"N": "-5"}, {"N": "1000"}, {"N": "0"}]}
    assert canon(item["dec"]) == {"L": [{"N": Decimal(150)}, {"N": Decimal(0)}, {"N": Decimal("-0.1")},
                                        {"N": Decimal("123.45")}]}
    assert item["nul"] == {"L": [{"NULL": True}, {"NULL": True}]}
    assert item["s"] == {"SS": ["a", "b"]} and item["b"] == {"B": "AA=="}
    assert item["m"] == {"M": {"x": {"M": {}}, "y": {"L": []}}}
    assert (item["t"], item["f"]) == ({"BOOL": True}, {"BOOL": False})
    assert records[1][1] == {"pk": {"S": "second"}}


def test_the_guides_list_form_reads_each_element_as_a_record():
    text = "$ion_1_0\n[\n" + ",\n".join("  {\n    Item:{\n      Id:%d.,\n      PageCount:6d2\n    }\n  }" % n
                                         for n in (103, 104, 105)) + "\n]\n"
    assert [(line, item["Id"]) for line, item in read(text)] == [(3, {"N": "103"}), (9, {"N": "104"}),
                                                               (15, {"N": "105"})]


FLOAT = "an Ion float (write numbers as decimals, e.g. 1.5 or 6d2)"
DEEP = "values nested more than 42 levels deep (DynamoDB allows 32 levels of attributes)"
BAD = [
    ('$ion_1_0 {Item:{pk:"unterminated}}', "unterminated string (a line end inside it)"),
    ('$ion_1_0 {Item:{pk:"a"}', "expected ',' or '}' in a struct"),
    ('$ion_1_0 {NotItem:{pk:"a"}}', "expected {Item:{...}}: no Item field"),
    ('$ion_1_0 {Item:"a"}', "expected {Item:{...}}: Item is a string, not a struct"),
    ('$ion_1_0 [1, 2]', "expected {Item:{...}}, found int"),       # a list: each element is a record
    ('$ion_1_0 {Item:{n:1.5e0}}', "n: %s has no DynamoDB type" % FLOAT),
    ('$ion_1_0 {Item:{n:nan}}', "n: %s has no DynamoDB type" % FLOAT),
    ('$ion_1_0 {Item:{t:2020-01-01T}}', "t: an Ion timestamp has no DynamoDB type"),
    ('$ion_1_0 {Item:{s:sym}}', "s: an Ion symbol has no DynamoDB type"),
    ('$ion_1_0 {Item:{c:{{"clob"}}}}', "c: an Ion clob has no DynamoDB type"),
    ('$ion_1_0 {Item:{x:(a b)}}', "x: an Ion s-expression has no DynamoDB type"),
    ('$ion_1_0 {Item:{x:null.string}}', "x: null.string has no DynamoDB type (NULL is written null)"),
    ('$ion_1_0 {Item:{x:other::"a"}}', "x: unsupported annotation other"),
    ('$ion_1_0 {Item:{x:$dynamodb_SS::"a"}}', "x: $dynamodb_SS annotates a string, not a list"),
    ('$ion_1_0 {Item:{x:$dynamodb_NS::["1"]}}', "x[0]: a NS member must be a decimal, not string"),
    ('$ion_1_0 {Item:{m:{a:1., a:2.}}}', "m.a: the field appears twice"),
    ('$ion_1_0 {Item:{b:{{not base64!}}}}', "a blob must hold base64 text"),
    ('$ion_1_0 {Item:{n:12abc}}', "not a valid Ion number: '12abc'"),
    ('$ion_1_0 {Item:{$10:"a"}}', "symbol ids ($10) are not supported"),
    ('$ion_1_0 {Item:{s:"\\q"}}', "invalid escape \\q"),
    ('$ion_1_1 {Item:{pk:"v1.1"}}', "unsupported Ion version marker $ion_1_1"),   # and its record unread
    ('$ion_1_0 {Item:{true:"a"}}', "the keyword true cannot be a field name (quote it: 'true')"),
    ('$ion_1_0 {Item:{pk:"k",m:{false:1.}}}', "the keyword false cannot be a field name (quote it: 'false')"),
    ('$ion_1_0 {Item:{null:"a"}}', "the keyword null cannot be a field name (quote it: 'null')"),
    ('$ion_1_0 {Item:{nan:"a"}}', "the keyword nan cannot be a field name (quote it: 'nan')"),
    ('$ion_1_0 {Item:{+inf:"a"}}', "expected a field name, found '+'"),
    ('$ion_1_0 {Item:{x:true::"a"}}', "the keyword true cannot be an annotation (quote it: 'true')"),
    ('$ion_1_0 {Item:{pk:"d",x:%s%s}}' % ("[" * 3000, "]" * 3000), DEEP),
    ('$ion_1_0 {Item:{pk:"d",x:%s1.%s}}' % ("{a:" * 3000, "}" * 3000), DEEP),
    ('$ion_1_0 {Item:{pk:"d",x:%s%s}}' % ("(" * 3000, ")" * 3000), DEEP),
    ("garbage here {", "expected {Item:{...}}, found symbol"),
]


@pytest.mark.parametrize("line, detail", BAD)
def test_a_bad_record_is_one_error_with_its_line_and_the_next_lines_are_read(line, detail):
    text = '$ion_1_0 {Item:{pk:"before"}}\n%s\n$ion_1_0 {Item:{pk:"after"}}\n' % line
    out = read(text)
    errors = [r for r in out if isinstance(r, ion.IonError)]
    assert [(e.line, e.detail) for e in errors][:1] == [(2, detail)]
    if line.startswith("$ion_1_0 ["):                      # the list goes on to the end: more errors
        return
    assert out[0] == (1, {"pk": {"S": "before"}}) and out[-1] == (3, {"pk": {"S": "after"}})
    assert len(errors) == 1 and len(out) == 3               # nothing of the bad record is read as an item


def test_a_line_that_is_not_utf8_and_an_object_cut_short_are_errors():
    data = b'$ion_1_0 {Item:{pk:"\xff"}}\n$ion_1_0 {Item:{pk:"ok"}}\n$ion_1_0 {Item:{pk:"cut'
    out = read(data)
    assert [(e.line, e.detail) for e in out if isinstance(e, ion.IonError)] == [
        (1, "line 1 is not UTF-8"), (3, "unterminated string")]
    assert (2, {"pk": {"S": "ok"}}) in out
    out = read(b'$ion_1_0 [{Item:{pk:"a"}},\n')
    assert out[0] == (1, {"pk": {"S": "a"}}) and out[1].detail == "unexpected end of the object (missing ']')"


def test_nesting_is_read_to_the_cap_and_a_deeper_record_is_an_error_before_python_recursion_fails():
    """DynamoDB's 32 levels of attributes pass the reader (and 40: deeper than 32 is PutItem's error), a
    record of more than MAX_DEPTH containers, its {Item:{...}} included, is an error of that record."""
    def line(depth, open_="[", close="]"):
        return '$ion_1_0 {Item:{pk:"d",x:%s%s}}\n' % (open_ * depth, close * depth)
    assert ion.MAX_DEPTH - 2 == 40
    (_, item), = read(line(40))
    value = item["x"]
    for _ in range(39):
        (value,) = value["L"]
    assert value == {"L": []}
    (error,) = read(line(41))
    assert (error.line, error.detail) == (1, DEEP)
    (_, item), = read(line(40, "{a:", "}").replace("x:{", "x:{", 1).replace("}}}", "1.}}}", 1))
    value = item["x"]
    for _ in range(40):
        value = value["M"]["a"]
    assert value == {"N": "1"}
    (error,) = read(line(41, "{a:", "}").replace("}}}", "1.}}}", 1))
    assert (error.line, error.detail) == (1, DEEP)
    # a deep record over many lines (read again as lines come) is one error; the next record is read
    text = '$ion_1_0 {Item:{pk:"d",x:\n%s\n%s}}\n$ion_1_0 {Item:{pk:"next"}}\n' % (
        "[\n" * 5000, "]\n" * 5000)
    out = read(text)
    assert [(e.line, e.detail) for e in out if isinstance(e, ion.IonError)] == [(1, DEEP)]
    assert out[-1][1] == {"pk": {"S": "next"}}


def test_a_recursion_or_value_error_of_one_record_is_its_error_and_the_next_record_is_read(monkeypatch):
    """Belt and braces: were the cap gone, Python's RecursionError is still that record's error."""
    monkeypatch.setattr(ion, "MAX_DEPTH", 10 ** 6)
    out = read('$ion_1_0 {Item:{pk:"d",x:%s%s}}\n$ion_1_0 {Item:{pk:"next"}}\n' % ("[" * 5000, "]" * 5000))
    assert [(e.line, e.detail.split(":")[0]) for e in out[:-1]] == [(1, "RecursionError")]
    assert out[-1] == (2, {"pk": {"S": "next"}})

    def failing(self, i, token, ann):
        raise ValueError("Exceeds the limit (4300 digits) for integer string conversion")
    monkeypatch.setattr(ion._Parser, "number", failing)
    out = read('$ion_1_0 {Item:{pk:"a",n:1}}\n$ion_1_0 {Item:{pk:"next"}}\n')
    assert [(r.line, r.detail) for r in out[:-1]] == [
        (1, "ValueError: Exceeds the limit (4300 digits) for integer string conversion")]
    assert out[-1] == (2, {"pk": {"S": "next"}})


def test_a_record_after_an_unsupported_version_marker_is_one_error_even_right_after_a_bad_line():
    out = read('$ion_1_0 {Item:{pk:"cut"\n$ion_1_1 {Item:{pk:"v11"}}\n$ion_1_0 {Item:{pk:"ok"}}\n')
    assert [(e.line, e.detail) for e in out if isinstance(e, ion.IonError)] == [
        (1, "expected ',' or '}' in a struct"), (2, "unsupported Ion version marker $ion_1_1")]
    assert out[-1] == (3, {"pk": {"S": "ok"}}) and len(out) == 3


@pytest.mark.parametrize("text, number", [
    ("9" * 5000, "9" * 5000),                           # past int()'s 4300 digits: kept as text
    ("-" + "1" * 39, "-" + "1" * 39),                   # past DynamoDB's 38: its PutItem refuses it
    ("1_000_000", "1000000"), ("-0", "0"), ("0", "0"),
    ("0x" + "f" * 5000, str(Decimal(16 ** 5000 - 1))),  # exact, past the int->str limit too
    ("-0b1" + "0" * 20000, str(Decimal(-2 ** 20000))),
], ids=["5000 digits", "39 digits", "underscores", "-0", "0", "0x of 5000 digits", "-0b of 20001 digits"])
def test_integers_of_any_length_are_read_as_exact_number_text(text, number):
    (line, item), = read('$ion_1_0 {Item:{n:%s,ns:$dynamodb_NS::[%s]}}\n' % (text, text))
    assert item == {"n": {"N": number}, "ns": {"NS": [number]}}


def test_the_reference_implementation_also_refuses_keywords_as_field_names_and_reads_long_integers():
    simpleion = pytest.importorskip("amazon.ion.simpleion")
    for name in ("true", "false", "null", "nan"):
        with pytest.raises(Exception):
            simpleion.loads('{Item:{%s:"a"}}' % name)
        assert simpleion.loads("{Item:{'%s':\"a\"}}" % name)["Item"][name] == "a"   # quoted: a name
        (_, item), = read("$ion_1_0 {Item:{'%s':\"a\"}}\n" % name)
        assert item == {name: {"S": "a"}}
    assert str(simpleion.loads("1" * 60)) == "1" * 60
    (_, item), = read("$ion_1_0 {Item:{n:%s}}\n" % ("1" * 60))
    assert item["n"] == {"N": "1" * 60}


def test_a_value_over_many_lines_is_read_whole():
    body = ",\n".join('a%d:"%s"' % (n, "x" * 50) for n in range(5000))
    (line, item), = read("$ion_1_0 {Item:{\n%s\n}}\n" % body)
    assert line == 1 and len(item) == 5000 and item["a4999"] == {"S": "x" * 50}


# ---- against the reference implementation ------------------------------------------------------------------


def random_av(rng, depth=0, names=("a", "b-c", "null", "$1", "x y", "it's")):
    kind = rng.choice(["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS"] + (["L", "M"] if depth < 3 else []))
    if kind == "S":
        return {"S": "".join(rng.choice('ab"\\\n\t\x01é𝄞 \x7f\'') for _ in range(rng.randint(0, 8)))}
    if kind == "N":
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 38))).lstrip("0") or "0"
        return {"N": str(Decimal("%s%sE%d" % (rng.choice(["", "-"]), digits, rng.randint(-120, 80))))}
    if kind == "B":
        return {"B": bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 6)))}
    if kind == "BOOL":
        return {"BOOL": rng.random() < 0.5}
    if kind == "NULL":
        return {"NULL": True}
    if kind == "SS":
        return {"SS": sorted({"s%d" % rng.randint(0, 99) for _ in range(rng.randint(1, 4))})}
    if kind == "NS":
        return {"NS": sorted({str(rng.randint(-999, 999)) for _ in range(rng.randint(1, 4))})}
    if kind == "BS":
        return {"BS": sorted({bytes([rng.randint(0, 255)]) for _ in range(rng.randint(1, 4))})}
    if kind == "L":
        return {"L": [random_av(rng, depth + 1, names) for _ in range(rng.randint(0, 3))]}
    return {"M": {rng.choice(names) + str(n): random_av(rng, depth + 1, names)
                  for n in range(rng.randint(0, 3))}}


def wire(av):
    (t, v), = av.items()
    if t == "B":
        return {t: base64.b64encode(v).decode()}
    if t == "BS":
        return {t: [base64.b64encode(x).decode() for x in v]}
    if t == "L":
        return {t: [wire(x) for x in v]}
    if t == "M":
        return {t: {k: wire(x) for k, x in v.items()}}
    return av


def from_reference(value):
    """An amazon.ion value -> an AttributeValue by the guide's table."""
    from amazon.ion.core import IonType
    ann = [a.text if hasattr(a, "text") else a for a in getattr(value, "ion_annotations", ())]
    t = value.ion_type
    if ann:
        kind = {"$dynamodb_SS": "SS", "$dynamodb_NS": "NS", "$dynamodb_BS": "BS"}[ann[0]]
        conv = {"SS": str, "NS": lambda d: Decimal(d), "BS": bytes}[kind]
        return {kind: [conv(x) for x in value]}
    if t == IonType.NULL:
        return {"NULL": True}
    if t == IonType.BOOL:
        return {"BOOL": bool(value)}
    if t == IonType.STRING:
        return {"S": str(value)}
    if t == IonType.DECIMAL:
        return {"N": Decimal(value)}
    if t == IonType.BLOB:
        return {"B": bytes(value)}
    if t == IonType.LIST:
        return {"L": [from_reference(x) for x in value]}
    if t == IonType.STRUCT:
        return {"M": {k: from_reference(x) for k, x in value.items()}}
    raise AssertionError(t)


def decimals(av):
    (t, v), = av.items()
    if t == "N":
        return {t: Decimal(v)}
    if t == "NS":
        return {t: [Decimal(x) for x in v]}
    if t == "L":
        return {t: [decimals(x) for x in v]}
    if t == "M":
        return {t: {k: decimals(x) for k, x in v.items()}}
    return av


def test_the_reference_implementation_reads_our_lines_as_the_same_items():
    simpleion = pytest.importorskip("amazon.ion.simpleion")
    rng = random.Random(6)
    for _ in range(300):
        item = {"pk": {"S": "k"}}
        item.update(("a%d" % n, random_av(rng)) for n in range(rng.randint(0, 6)))
        line = ion.item_line(item)
        values = simpleion.loads(line.decode("utf-8"), single_value=False)
        assert len(values) == 1 and list(values[0]) == ["Item"]
        assert decimals(from_reference(values[0]["Item"])) == decimals({"M": item})
        (_, back), = read(line)
        assert canon_item(back) == canon_item({k: wire(v) for k, v in item.items()})


def test_we_read_the_reference_implementations_text_as_the_same_items():
    simpleion = pytest.importorskip("amazon.ion.simpleion")
    from amazon.ion.core import IonType
    from amazon.ion.simple_types import IonPyList
    rng = random.Random(7)

    def to_ion(av):
        (t, v), = av.items()
        if t in ("SS", "NS", "BS"):
            return IonPyList.from_value(IonType.LIST, [Decimal(x) if t == "NS" else x for x in v],
                                        ("$dynamodb_" + t,))
        return {"S": lambda: v, "N": lambda: Decimal(v), "B": lambda: v, "BOOL": lambda: v,
                "NULL": lambda: None, "L": lambda: [to_ion(x) for x in v],
                "M": lambda: {k: to_ion(x) for k, x in v.items()}}[t]()

    for _ in range(200):
        item = {"pk": {"S": "k"}}
        # no "$<digits>" names: amazon.ion writes them bare, which Ion reads as symbol ids
        item.update(("a%d" % n, random_av(rng, names=("a", "b-c", "null", "x y", "it's")))
                    for n in range(rng.randint(0, 6)))
        text = simpleion.dumps({"Item": {k: to_ion(v) for k, v in item.items()}}, binary=False,
                               indent="  " if rng.random() < 0.3 else None)
        (_, back), = read(text + "\n")
        assert canon_item(back) == canon_item({k: wire(v) for k, v in item.items()})


def test_a_bad_pretty_printed_record_is_one_error():
    text = ('$ion_1_0\n{\n  Item: {\n    pk: "k",\n    b: $dynamodb_BS::[\n      {{NA==}},\n      {{Og==}}\n'
            '    ],\n    m: {\n      $10: null\n    }\n  }\n}\n{Item:{pk:"next"}}\n')
    out = read(text)
    assert [(e.line, e.detail) for e in out if isinstance(e, ion.IonError)] == [
        (2, "symbol ids ($10) are not supported")]
    assert out[-1] == (14, {"pk": {"S": "next"}})
