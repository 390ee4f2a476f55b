"""Amazon Ion text for DynamoDB's ION export and import: a writer of DynamoDB's item lines and a reader of the
subset of Ion text an item can be written in. No file is opened here (formats.py hands lines in and out).

WHY NOT A LIBRARY
    The writer must give the bytes DynamoDB writes (its Ion is ion-java's text writer: unquoted field names
    where Ion allows, decimals as `103.` / `6d2`, blobs as `{{base64}}`), and the reader must report each bad
    record and go on with the next one, as DynamoDB's import does; a general Ion library gives neither (its
    text writer's layout is its own, and its reader stops at the first syntax error). The subset is small,
    so it is written here: stdlib only, numbers as decimal text throughout (never a float), so every one of
    DynamoDB's 38 digits round-trips. The tests check both directions against the reference implementation
    (the `amazon.ion` package) when it is installed (it is in the `test` extra).

THE ITEM LINE (DynamoDB developer guide, "DynamoDB table export output format", Amazon Ion)
    "Items in an Ion export are delimited by newlines. Each line begins with an Ion version marker, followed
    by an item in Ion format": `$ion_1_0 {Item:{<name>:<value>,...}}\\n`, with the guide's type table
        S -> string "..."            N -> decimal (103. 6d2 1.5 1d-6)     B -> blob {{base64}}
        BOOL -> true/false           L -> list [...]                      M -> struct {...}
        SS/NS/BS -> a list annotated $dynamodb_SS:: / $dynamodb_NS:: / $dynamodb_BS::
        NULL -> null                 (NOT IN THE GUIDE's table; null is Ion's own null)
    Decimals are written as ion-java writes a BigDecimal (the guide's Id:103., PageCount:6d2 for 600,
    Price:2d3 for 2000; DynamoDB keeps numbers without trailing zeros): unscaled digits, then "." when the
    exponent is 0, a fraction point inside the digits, "d<exp>" for a positive exponent or "d-<n>" when
    the point would come before the first digit. Strings are UTF-8 with \\" \\\\ and the control
    characters escaped (\\0 \\a \\b \\t \\n \\v \\f \\r, else \\xHH; DEL as \\x7f); a lone surrogate (pyddb
    keeps them, Ion has no UTF-8 form for them) is written \\uHHHH. A field name is written bare when it is
    an Ion identifier ([A-Za-z_$][A-Za-z0-9_$]*, not true/false/null/nan, not a symbol id $<digits>),
    else as a quoted symbol '...'. Attributes keep the item's order; no spaces. NOT CONFIRMED (the guide
    is silent): the exact escapes DynamoDB uses and the order of attributes in its lines.

THE READER (DynamoDB developer guide, "Amazon S3 import formats for DynamoDB", Amazon Ion)
    An object is a stream of top-level Ion values read line by line. `$ion_1_0` version markers are
    skipped; a `$ion_symbol_table::{...}` is skipped (a system value); each struct `{Item:{...}}` is one
    record (other fields of it are ignored, as the JSON reader ignores them); a top-level list is a list of
    records (the guide's multi-line example wraps its items in [ ... ]). Types map as the guide's table:
    string -> S, bool -> BOOL, decimal -> N, blob -> B, list annotated $dynamodb_SS/NS/BS -> SS/NS/BS,
    list -> L, struct -> M; and (decisions, the guide is silent) null / null.null -> NULL, an int -> N
    (exact, like a decimal, of any length: decimal digits stay text, so a number DynamoDB cannot hold gets
    the PutItem error the same text gets in DYNAMODB_JSON); a float, timestamp, symbol value, clob,
    s-expression, typed null, any other annotation, a set member of the wrong type and a repeated field
    name are errors of that record.
    Accepted text: whitespace, // and /* */ comments, "short" and '''long''' strings (adjacent long
    strings concatenate) with every Ion escape (\\a \\b \\t \\n \\f \\r \\v \\? \\0 \\' \\" \\/ \\\\ \\xHH
    \\uHHHH \\UHHHHHHHH and an escaped newline; a \\u surrogate pair makes one character), identifiers
    and quoted symbols as field names and annotations (not the keywords true false null nan unquoted,
    which Ion refuses there), decimals with d/D exponents, ints (decimal, 0x, 0b, with _ between digits),
    blobs with whitespace inside, trailing commas in lists and structs.
    NESTING: a top-level value may nest MAX_DEPTH containers (its {Item:{...}} included: 40 levels of
    attributes, DynamoDB allows 32 and its PutItem refuses the rest); a deeper one is a syntax error of its
    record, so no record can exhaust Python's recursion.
    ERRORS: a record that does not parse or does not map yields IonError(line, detail) and reading goes on.
    After a syntax error, a top-level value that is not a struct (garbage), or a version marker other
    than $ion_1_0 (its record is not read: an Ion reader refuses an unknown version), the reader
    resynchronizes at the next line (after the line the bad value began on) that starts with `$ion_` or
    `{` (not a blob's `{{`; inside a top-level list: `{` after any indentation); the lines skipped are
    part of that one error (so a pretty-printed record, its nested lines indented, counts once). So items
    written one per line, as DynamoDB writes them, lose only the bad line; if no such line follows, the
    rest of the object is skipped (as DynamoDB may skip "the remaining portion of the object"). Ion text
    is UTF-8: a record holding a line that is not UTF-8 is an error.
"""
from __future__ import annotations

import base64
import binascii
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, Iterable, Iterator, List, Tuple, Union

VERSION_MARKER = "$ion_1_0"
SET_ANNOTATIONS = {"$dynamodb_SS": "SS", "$dynamodb_NS": "NS", "$dynamodb_BS": "BS"}
ANNOTATION_OF = {v: k for k, v in SET_ANNOTATIONS.items()}
KEYWORDS = ("true", "false", "null", "nan")
# Containers (structs, lists, s-expressions) one top-level value may nest, its record's own {Item:{...}}
# included: DynamoDB allows 32 levels of attribute nesting (deeper items are its ValidationException, given
# by the PutItem of the import), so 40 levels of attributes pass the reader and anything deeper is an error
# of that record here, before Python's recursion limit is near.
MAX_DEPTH = 42
IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")
SYMBOL_ID = re.compile(r"\$[0-9]+\Z")


# ---- writer ------------------------------------------------------------------------------------------------

_ESCAPES = {0: "\\0", 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r",
            0x22: '\\"', 0x5C: "\\\\", 0x7F: "\\x7f"}
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f\ud800-\udfff]')


def _escape(text: str, quote: str) -> str:
    def one(m: "re.Match[str]") -> str:
        c = m.group()
        o = ord(c)
        if c == quote or c == "\\" or o in _ESCAPES:
            return _ESCAPES.get(o, "\\" + c)
        if 0xD800 <= o <= 0xDFFF:
            return "\\u%04x" % o
        return "\\x%02x" % o
    if quote == "'":
        return re.sub(r"[\x00-\x1f'\\\x7f\ud800-\udfff]", one, text)
    return _NEEDS_ESCAPE.sub(one, text)


def write_string(text: str) -> str:
    return '"' + _escape(text, '"') + '"'


def write_symbol(name: str) -> str:
    """A field name or annotation: bare when Ion allows, else a quoted symbol."""
    if IDENTIFIER.match(name) and name not in KEYWORDS and not SYMBOL_ID.match(name):
        return name
    return "'" + _escape(name, "'") + "'"


def write_decimal(number: str) -> str:
    """A DynamoDB number as ion-java writes the BigDecimal (THE ITEM LINE): trailing zeros dropped, then
    unscaled digits with '.', a fraction point, 'd<exp>' or 'd-<n>'."""
    sign, digits, exp = Decimal(number).as_tuple()
    text = "".join(map(str, digits)).lstrip("0")
    if not text:
        return "0."                                  # DynamoDB has no negative zero
    stripped = text.rstrip("0")
    exp += len(text) - len(stripped)
    text = stripped
    out = "-" if sign else ""
    if exp == 0:
        return out + text + "."
    if exp > 0:
        return "%s%sd%d" % (out, text, exp)
    scale = -exp
    if len(text) > scale:
        whole = len(text) - scale
        return out + text[:whole] + "." + text[whole:]
    out += text[0]
    if len(text) > 1:
        out += "." + text[1:]
    return "%sd-%d" % (out, scale - len(text) + 1)


def _blob(value: Any) -> str:
    if isinstance(value, str):                       # wire form: already base64
        return "{{" + value + "}}"
    return "{{" + base64.b64encode(bytes(value)).decode("ascii") + "}}"


def write_value(av: Dict[str, Any]) -> str:
    """One AttributeValue ({"S": ...}) in Ion text."""
    (kind, v), = av.items()
    if kind == "S":
        return write_string(v)
    if kind == "N":
        return write_decimal(v)
    if kind == "B":
        return _blob(v)
    if kind == "BOOL":
        return "true" if v else "false"
    if kind == "NULL":
        return "null"
    if kind == "SS":
        return "$dynamodb_SS::[" + ",".join(write_string(x) for x in v) + "]"
    if kind == "NS":
        return "$dynamodb_NS::[" + ",".join(write_decimal(x) for x in v) + "]"
    if kind == "BS":
        return "$dynamodb_BS::[" + ",".join(_blob(x) for x in v) + "]"
    if kind == "L":
        return "[" + ",".join(write_value(x) for x in v) + "]"
    if kind == "M":
        return write_struct(v)
    raise ValueError("not an AttributeValue type: %s" % kind)


def write_struct(attributes: Dict[str, Any]) -> str:
    return "{" + ",".join(write_symbol(k) + ":" + write_value(x) for k, x in attributes.items()) + "}"


def item_line(item: Dict[str, Any]) -> bytes:
    """DynamoDB's ION export line of a stored item: b'$ion_1_0 {Item:{...}}\\n' (UTF-8)."""
    return ("%s {Item:%s}\n" % (VERSION_MARKER, write_struct(item))).encode("utf-8")


# ---- reader: values ----------------------------------------------------------------------------------------


class IonSyntaxError(Exception):
    def __init__(self, pos: int, detail: str) -> None:
        super().__init__(detail)
        self.pos = pos
        self.detail = detail


class _Incomplete(Exception):
    """The buffer ended inside a value: read more lines and parse it again."""


class IonError(Exception):
    """A record that cannot become an item: the line it began on and why."""

    def __init__(self, line: int, detail: str) -> None:
        super().__init__("line %d: %s" % (line, detail))
        self.line = line
        self.detail = detail


class V:
    """A parsed Ion value: kind (string symbol decimal int float bool null blob clob list sexp struct
    timestamp), its value, its annotations."""
    __slots__ = ("kind", "value", "annotations")

    def __init__(self, kind: str, value: Any, annotations: Tuple[str, ...] = ()) -> None:
        self.kind = kind
        self.value = value
        self.annotations = annotations

    def __repr__(self) -> str:
        return "V(%s, %r, %r)" % (self.kind, self.value, self.annotations)


_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", "v": "\v", "?": "?",
                   "0": "\0", "'": "'", '"': '"', "/": "/", "\\": "\\"}
_TOKEN_CHARS = re.compile(r"[0-9A-Za-z_.+\-:]*")
_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_OPERATOR = re.compile(r"[!#%&*+\-./;<=>?@^`|~]+")
_DEC_INT = re.compile(r"-?(0|[1-9](_?[0-9])*)\Z")
_HEX_INT = re.compile(r"-?0[xX][0-9a-fA-F](_?[0-9a-fA-F])*\Z")
_BIN_INT = re.compile(r"-?0[bB][01](_?[01])*\Z")
_DECIMAL = re.compile(r"-?(0|[1-9](_?[0-9])*)(\.([0-9](_?[0-9])*)?)?([dD][+-]?[0-9]+)?\Z")
_FLOAT = re.compile(r"-?(0|[1-9](_?[0-9])*)(\.([0-9](_?[0-9])*)?)?[eE][+-]?[0-9]+\Z")
_TIMESTAMP = re.compile(r"\d{4}(T|-\d\d(T|-\d\d(T[0-9:.+\-Z]*)?)?)\Z")
_WS = re.compile(r"[ \t\n\r\v\f]*")
_STOP = " \t\n\r\v\f,]})\"'/{[("


class _Parser:
    def __init__(self, text: str, eof: bool) -> None:
        self.s = text
        self.eof = eof
        self.depth = 0              # containers open (a parser reads one top-level value, then is dropped)

    def too_deep(self, i: int) -> None:
        self.fail(i, "values nested more than %d levels deep (DynamoDB allows 32 levels of attributes)"
                      % MAX_DEPTH)

    # -- characters --
    def peek(self, i: int) -> str:
        if i < len(self.s):
            return self.s[i]
        if not self.eof:
            raise _Incomplete()
        return ""

    def fail(self, i: int, detail: str) -> None:
        raise IonSyntaxError(i, detail)

    def skip(self, i: int) -> int:
        """Past whitespace and comments."""
        s = self.s
        i = _WS.match(s, i).end()
        if i < len(s) and s[i] != "/":
            return i                                   # the common case: no comment
        while True:
            c = self.peek(i)
            if c in " \t\n\r\v\f" and c:
                i += 1
            elif c == "/":
                n = self.peek(i + 1)
                if n == "/":
                    j = s.find("\n", i)
                    if j < 0:
                        if not self.eof:
                            raise _Incomplete()
                        return len(s)
                    i = j + 1
                elif n == "*":
                    j = s.find("*/", i + 2)
                    if j < 0:
                        if not self.eof:
                            raise _Incomplete()
                        self.fail(i, "unterminated /* comment")
                    i = j + 2
                else:
                    return i
            else:
                return i

    # -- values --
    def value(self, i: int, in_sexp: bool = False) -> Tuple[V, int]:
        """The value at i (after any whitespace), with its annotations; and the index after it."""
        annotations: List[str] = []
        while True:
            i = self.skip(i)
            start = i
            c = self.peek(i)
            if c == "":
                self.fail(i, "unexpected end of the object")
            if c == "'" and self.s.startswith("'''", i):
                v, i = self.long_string(i)
                return V("string", v, tuple(annotations)), i
            if c == "'" or (_IDENT.match(c) and c):
                if c == "'":
                    name, i = self.quoted(i, "'")
                    quoted = True
                else:
                    m = _IDENT.match(self.s, i)
                    name, i = m.group(), m.end()
                    if i == len(self.s) and not self.eof:
                        raise _Incomplete()
                    quoted = False
                j = self.skip(i)
                if self.s.startswith("::", j):
                    if not quoted and name in KEYWORDS:
                        self.fail(start, "the keyword %s cannot be an annotation (quote it: '%s')"
                                  % (name, name))
                    annotations.append(name)
                    i = j + 2
                    continue
                if self.peek(j) == ":" and not in_sexp:
                    self.fail(j, "':' after a value (a field name outside a struct?)")
                if not quoted:
                    return self.keyword(name, i, tuple(annotations))
                return V("symbol", name, tuple(annotations)), i
            break
        ann = tuple(annotations)
        if c == '"':
            v, i = self.quoted(i, '"')
            return V("string", v, ann), i
        if c == "{":
            if self.peek(i + 1) == "{":
                return self.lob(i, ann)
            return self.struct(i, ann)
        if c == "[":
            items, i = self.sequence(i + 1, "]")
            return V("list", items, ann), i
        if c == "(":
            items, i = self.sequence(i + 1, ")", sexp=True)
            return V("sexp", items, ann), i
        if c.isdigit() or c in "+-":
            m = _TOKEN_CHARS.match(self.s, i)
            token, end = m.group(), m.end()
            if end == len(self.s) and not self.eof:
                raise _Incomplete()
            if in_sexp and c in "+-" and not token[1:2].isdigit() and token not in ("+inf", "-inf"):
                m = _OPERATOR.match(self.s, i)
                return V("symbol", m.group(), ann), m.end()
            return self.number(i, token, ann), end
        if in_sexp and _OPERATOR.match(c):
            m = _OPERATOR.match(self.s, i)
            return V("symbol", m.group(), ann), m.end()
        self.fail(i, "unexpected %r" % c)
        raise AssertionError

    def keyword(self, name: str, i: int, ann: Tuple[str, ...]) -> Tuple[V, int]:
        if name == "true" or name == "false":
            return V("bool", name == "true", ann), i
        if name == "nan":
            return V("float", name, ann), i
        if name == "null":
            if self.peek(i) == ".":
                m = _IDENT.match(self.s, i + 1)
                if not m:
                    self.fail(i, "a type name must follow 'null.'")
                if m.end() == len(self.s) and not self.eof:
                    raise _Incomplete()
                return V("null", m.group(), ann), m.end()
            return V("null", None, ann), i
        return V("symbol", name, ann), i

    def number(self, i: int, token: str, ann: Tuple[str, ...]) -> V:
        if token in ("+inf", "-inf"):
            return V("float", token, ann)
        if _DEC_INT.match(token):                     # kept as text: any length, no int() (its 4300 digits)
            return V("int", token.replace("_", ""), ann)
        if _HEX_INT.match(token):
            neg = token.startswith("-")
            v = int(token.lstrip("-")[2:].replace("_", ""), 16)
            return V("int", -v if neg else v, ann)
        if _BIN_INT.match(token):
            neg = token.startswith("-")
            v = int(token.lstrip("-")[2:].replace("_", ""), 2)
            return V("int", -v if neg else v, ann)
        if _DECIMAL.match(token):
            return V("decimal", token.replace("_", "").replace("d", "e").replace("D", "e"), ann)
        if _FLOAT.match(token):
            return V("float", token, ann)
        if _TIMESTAMP.match(token):
            return V("timestamp", token, ann)
        self.fail(i, "not a valid Ion number: %r" % token[:40])
        raise AssertionError

    def escape(self, i: int, out: List[str]) -> int:
        """The escape at s[i] == '\\'; appends its text, returns the index after it."""
        c = self.peek(i + 1)
        if c in _SIMPLE_ESCAPES and c:
            out.append(_SIMPLE_ESCAPES[c])
            return i + 2
        if c == "\n":
            return i + 2
        if c == "\r":
            return i + 3 if self.peek(i + 2) == "\n" else i + 2
        width = {"x": 2, "u": 4, "U": 8}.get(c)
        if width is None:
            self.fail(i, "invalid escape \\%s" % c)
        digits = self.s[i + 2:i + 2 + width]
        if len(digits) < width and not self.eof:
            raise _Incomplete()
        if len(digits) < width or not re.fullmatch(r"[0-9a-fA-F]+", digits):
            self.fail(i, "invalid escape \\%s%s" % (c, digits))
        code = int(digits, 16)
        if code > 0x10FFFF:
            self.fail(i, "escape \\%s%s is past U+10FFFF" % (c, digits))
        if out and 0xDC00 <= code <= 0xDFFF and 0xD800 <= ord(out[-1][-1:] or "\0") <= 0xDBFF:
            high = out.pop()
            out.append(high[:-1] + chr(0x10000 + ((ord(high[-1]) - 0xD800) << 10) + (code - 0xDC00)))
        else:
            out.append(chr(code))
        return i + 2 + width

    def quoted(self, i: int, quote: str) -> Tuple[str, int]:
        """A "string" or 'symbol' starting at s[i] == quote (no raw line ends inside)."""
        out: List[str] = []
        j = i + 1
        s = self.s
        while True:
            c = self.peek(j)
            if c == quote:
                return "".join(out), j + 1
            if c == "":
                self.fail(i, "unterminated %s" % ("string" if quote == '"' else "quoted symbol"))
            if c == "\\":
                j = self.escape(j, out)
            elif c in "\n\r":
                self.fail(i, "unterminated %s (a line end inside it)" % (
                    "string" if quote == '"' else "quoted symbol"))
            else:
                k = j
                while k < len(s) and s[k] not in (quote, "\\", "\n", "\r"):
                    k += 1
                out.append(s[j:k])
                j = k

    def long_string(self, i: int) -> Tuple[str, int]:
        """One or more adjacent '''long''' strings, concatenated."""
        out: List[str] = []
        s = self.s
        while True:
            j = i + 3
            while True:
                c = self.peek(j)
                if c == "":
                    self.fail(i, "unterminated ''' string")
                if c == "'" and s.startswith("'''", j):
                    j += 3
                    break
                if c == "\\":
                    j = self.escape(j, out)
                else:
                    out.append(c)
                    j += 1
            k = self.skip(j)
            if s.startswith("'''", k):
                i = k
                continue
            if self.peek(k) == "'" and not self.eof and len(s) - k < 3:
                raise _Incomplete()
            return "".join(out), j

    def lob(self, i: int, ann: Tuple[str, ...]) -> Tuple[V, int]:
        """{{ base64 }} or a clob {{ "text" }}."""
        j = self.skip_lob_ws(i + 2)
        c = self.peek(j)
        if c == '"' or c == "'":
            if c == "'" and self.s.startswith("'''", j):
                text, j = self.long_string(j)
            elif c == '"':
                text, j = self.quoted(j, '"')
            else:
                self.fail(j, "a clob holds a string")
            j = self.skip_lob_ws(j)
            if not self.s.startswith("}}", j):
                self.peek(j + 1)
                self.fail(j, "'}}' must end a clob")
            return V("clob", text, ann), j + 2
        end = self.s.find("}}", j)
        if end < 0:
            if not self.eof:
                raise _Incomplete()
            self.fail(i, "unterminated blob")
        body = re.sub(r"[ \t\n\r\v\f]", "", self.s[j:end])
        if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", body) or len(body) % 4:
            self.fail(i, "a blob must hold base64 text")
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            self.fail(i, "a blob must hold base64 text")
        return V("blob", data, ann), end + 2

    def skip_lob_ws(self, i: int) -> int:
        while self.peek(i) in " \t\n\r\v\f" and self.peek(i):
            i += 1
        return i

    def sequence(self, i: int, close: str, sexp: bool = False) -> Tuple[List[V], int]:
        items: List[V] = []
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.too_deep(i - 1)
        while True:
            i = self.skip(i)
            c = self.peek(i)
            if c == close:
                self.depth -= 1
                return items, i + 1
            if c == "":
                self.fail(i, "unexpected end of the object (missing '%s')" % close)
            v, i = self.value(i, in_sexp=sexp)
            items.append(v)
            if sexp:
                continue
            i = self.skip(i)
            c = self.peek(i)
            if c == ",":
                i += 1
            elif c == "":
                self.fail(i, "unexpected end of the object (missing '%s')" % close)
            elif c != close:
                self.fail(i, "expected ',' or '%s' in a list" % close)

    def struct(self, i: int, ann: Tuple[str, ...]) -> Tuple[V, int]:
        fields: List[Tuple[str, V]] = []
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.too_deep(i)
        i += 1
        while True:
            i = self.skip(i)
            c = self.peek(i)
            if c == "}":
                self.depth -= 1
                return V("struct", fields, ann), i + 1
            if c == "":
                self.fail(i, "unexpected end of the object (missing '}')")
            if c == '"':
                name, i = self.quoted(i, '"')
            elif c == "'" and self.s.startswith("'''", i):
                name, i = self.long_string(i)
            elif c == "'":
                name, i = self.quoted(i, "'")
            else:
                m = _IDENT.match(self.s, i)
                if not m:
                    self.fail(i, "expected a field name, found %r" % c)
                name, i = m.group(), m.end()
                if i == len(self.s) and not self.eof:
                    raise _Incomplete()
                if SYMBOL_ID.match(name):
                    self.fail(m.start(), "symbol ids ($%s) are not supported" % name[1:])
                if name in KEYWORDS:
                    self.fail(m.start(), "the keyword %s cannot be a field name (quote it: '%s')"
                              % (name, name))
            i = self.skip(i)
            if self.peek(i) != ":" or self.s.startswith("::", i):
                self.fail(i, "expected ':' after the field name %r" % name[:40])
            v, i = self.value(i + 1)
            fields.append((name, v))
            i = self.skip(i)
            c = self.peek(i)
            if c == ",":
                i += 1
            elif c == "":
                self.fail(i, "unexpected end of the object (missing '}')")
            elif c != "}":
                self.fail(i, "expected ',' or '}' in a struct")

    def top(self, i: int) -> Tuple[V, int]:
        v, i = self.value(i)
        if v.kind in ("int", "decimal", "float", "timestamp", "bool", "null", "symbol"):
            c = self.peek(i)
            if c and c not in _STOP:
                self.fail(i, "unexpected %r after a value" % c)
        return v, i


# ---- reader: records ---------------------------------------------------------------------------------------


def _number_text(v: V) -> str:
    """An Ion int or decimal as number text, exact and of any length: a number DynamoDB cannot hold is
    refused with its own error by the PutItem of the import (as the same text in DYNAMODB_JSON is)."""
    if v.kind == "int":
        if isinstance(v.value, str):                 # decimal digits as written (no leading zeros: canonical
            return "0" if v.value == "-0" else v.value  # but for -0)
        return str(Decimal(v.value))                 # 0x / 0b: Decimal has no int->str digit limit
    try:
        d = Decimal(v.value)
    except InvalidOperation:
        raise ValueError("not a number: %s" % v.value) from None
    return str(d)


_KIND_NAMES = {"float": "an Ion float (write numbers as decimals, e.g. 1.5 or 6d2)",
               "timestamp": "an Ion timestamp", "symbol": "an Ion symbol", "clob": "an Ion clob",
               "sexp": "an Ion s-expression"}


def attribute(v: V, where: str) -> Dict[str, Any]:
    """The wire AttributeValue of an Ion value (B as base64 text); ValueError with the reason else."""
    if v.annotations:
        kind = SET_ANNOTATIONS.get(v.annotations[0]) if len(v.annotations) == 1 else None
        if kind is None:
            raise ValueError("%s: unsupported annotation %s" % (where, "::".join(v.annotations)))
        if v.kind != "list":
            raise ValueError("%s: %s annotates a %s, not a list" % (where, v.annotations[0], v.kind))
        want = {"SS": "string", "NS": "decimal", "BS": "blob"}[kind]
        members = []
        for n, x in enumerate(v.value):
            ok = x.kind == want or (kind == "NS" and x.kind == "int")
            if not ok or x.annotations:
                raise ValueError("%s[%d]: a %s member must be a %s, not %s" % (
                    where, n, kind, want, _describe(x)))
            members.append(x.value if kind == "SS" else _number_text(x) if kind == "NS"
                           else base64.b64encode(x.value).decode("ascii"))
        return {kind: members}
    k = v.kind
    if k == "string":
        return {"S": v.value}
    if k == "decimal" or k == "int":
        return {"N": _number_text(v)}
    if k == "bool":
        return {"BOOL": v.value}
    if k == "blob":
        return {"B": base64.b64encode(v.value).decode("ascii")}
    if k == "null":
        if v.value not in (None, "null"):
            raise ValueError("%s: null.%s has no DynamoDB type (NULL is written null)" % (where, v.value))
        return {"NULL": True}
    if k == "list":
        return {"L": [attribute(x, "%s[%d]" % (where, n)) for n, x in enumerate(v.value)]}
    if k == "struct":
        return {"M": _attributes(v.value, where)}
    raise ValueError("%s: %s has no DynamoDB type" % (where, _KIND_NAMES.get(k, k)))


def _describe(v: V) -> str:
    return ("%s::" % "::".join(v.annotations) if v.annotations else "") + v.kind


def _attributes(fields: List[Tuple[str, V]], where: str) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for name, x in fields:
        path = "%s.%s" % (where, name) if where else name
        if name in out:
            raise ValueError("%s: the field appears twice" % path)
        out[name] = attribute(x, path)
    return out


def record_item(v: V) -> Dict[str, Any]:
    """The wire item of one top-level record {Item:{...}}; ValueError else."""
    if v.kind != "struct" or v.annotations:
        raise ValueError("expected {Item:{...}}, found %s" % _describe(v))
    items = [x for name, x in v.value if name == "Item"]
    if len(items) != 1 or items[0].kind != "struct" or items[0].annotations:
        raise ValueError("expected {Item:{...}}: %s" % ("no Item field" if not items else
                                                         "Item appears twice" if len(items) > 1 else
                                                         "Item is a %s, not a struct" % _describe(items[0])))
    return _attributes(items[0].value, "")


_RESYNC_TOP = re.compile(r"\$ion_|\{(?!\{)")        # at the start of a line (nested text is indented)
_RESYNC_LIST = re.compile(r"[ \t]*\{(?!\{)")


def records(lines: Iterable[bytes]) -> Iterator[Union[Tuple[int, Dict[str, Any]], IonError]]:
    """(line, wire item) for each record of an Ion text given as binary lines (line ends kept), or an
    IonError for a record that cannot become an item (THE READER). Reading goes on after an error. A value
    that spans lines is parsed again with twice as many lines each time it runs out (linear overall). A
    line that is not UTF-8 is an error of the record it is part of."""
    it = iter(lines)
    read = 0                  # lines read
    not_utf8: List[int] = []  # their numbers, for the lines that are not UTF-8
    buf = ""                  # text read and not yet dropped
    pos = 0                   # where parsing goes on in buf
    base_pos, base_line = 0, 1
    eof = False
    in_list = False
    chunk = 1

    def more(n: int) -> bool:
        nonlocal buf, eof, read
        got = []
        for _ in range(n):
            try:
                raw = next(it)
            except StopIteration:
                eof = True
                break
            read += 1
            try:
                got.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                not_utf8.append(read)
                got.append(raw.decode("utf-8", "replace"))
        buf += "".join(got)
        return bool(got)

    def line_at(p: int) -> int:
        return base_line + buf.count("\n", base_pos, p)

    def advance(p: int) -> None:
        nonlocal buf, pos, base_pos, base_line
        base_line, base_pos, pos = line_at(p), p, p
        if p > 65536 and p * 2 > len(buf):
            buf = buf[p:]
            base_pos = pos = 0

    def resync(start: int) -> bool:
        """To the first line after the one holding `start` where a record may begin; False at the end."""
        pattern = _RESYNC_LIST if in_list else _RESYNC_TOP
        p = start
        while True:
            nl = buf.find("\n", p)
            while nl < 0:
                if eof or not more(64):
                    advance(len(buf))
                    return False
                nl = buf.find("\n", p)
            p = nl + 1
            while p == len(buf):
                if eof or not more(64):
                    advance(p)
                    return False
            if pattern.match(buf, p):
                advance(p)
                return True

    more(1)
    while True:
        p = _Parser(buf, eof)
        start = pos
        try:
            i = p.skip(pos)
            start = i
            c = p.peek(i)
            if c == "":
                if in_list:
                    yield IonError(line_at(i), "unexpected end of the object (missing ']')")
                return
            if c == "]" and in_list or c == "[" and not in_list:
                in_list = c == "["
                advance(i + 1)
                chunk = 1
                continue
            v, i = p.top(i)
            if in_list:
                j = p.skip(i)
                c = p.peek(j)
                if c == ",":
                    i = j + 1
                elif c != "]":
                    raise IonSyntaxError(j, "expected ',' or ']' in a list")
        except _Incomplete:
            more(chunk)
            chunk = min(chunk * 2, 4096)
            continue
        except (IonSyntaxError, ValueError, RecursionError) as e:
            # ValueError / RecursionError: not expected of the parser (its numbers stay text, its depth is
            # capped), caught so that no record can end the reading of the others
            detail = e.detail if isinstance(e, IonSyntaxError) else "%s: %s" % (type(e).__name__, e)
            yield IonError(line_at(start), detail)
            chunk = 1
            if not resync(start):
                return
            continue
        line, last = line_at(start), line_at(i)
        chunk = 1
        if not in_list and not v.annotations and v.kind == "symbol" and v.value.startswith("$ion_"):
            if v.value != VERSION_MARKER:             # another version: its record is not read as Ion 1.0
                yield IonError(line, "unsupported Ion version marker %s" % v.value)
                if not resync(start):
                    return
                continue
            advance(i)
            continue
        if not in_list and v.annotations[:1] == ("$ion_symbol_table",) and v.kind == "struct":
            advance(i)
            continue
        if not in_list and v.kind != "struct":        # not a record: the rest of its line is no better
            yield IonError(line, "expected {Item:{...}}, found %s" % _describe(v))
            if not resync(start):
                return
            continue
        advance(i)
        while not_utf8 and not_utf8[0] < line:
            not_utf8.pop(0)
        if not_utf8 and not_utf8[0] <= last:
            yield IonError(line, "line %d is not UTF-8" % not_utf8[0])
            continue
        try:
            item = record_item(v)
        except (ValueError, RecursionError) as e:
            yield IonError(line, str(e))
            continue
        yield line, item
