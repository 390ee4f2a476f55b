"""The one tokenizer for all five expression kinds.

TOKENS (DynamoDB's lexer, Tokens.g4 as shipped in the DAX clients, Apache-2.0; rules tried in this order,
longest match wins, a tie goes to the earlier rule)
    whitespace  [ \\t\\n\\r]+                 skipped (kept out of the token list; `near` texts slice the source)
    operators   = <> < <= > >= + -
    keywords    IN BETWEEN NOT AND OR SET ADD DELETE REMOVE     (any case; a longer word is an ID)
    INDEX       0 | [1-9][0-9]*                "007" is three tokens: 0 0 7
    ID          [a-zA-Z][a-zA-Z_0-9]*
    NAME        #[a-zA-Z_0-9]+                 an ExpressionAttributeNames placeholder
    VALUE       :[a-zA-Z_0-9]+                 an ExpressionAttributeValues placeholder
    punctuation ( ) [ ] , .
    STRING      "..." or '...'                 never valid in an expression: a syntax error names it
    UNKNOWN     any other single character     ("_", "#", ":", "*", "/", "!", "$", non-ASCII letters, ...)

The lexer never fails: every character becomes part of some token, and the parser reports the first token it
cannot use (parser.py). That is how DynamoDB reports 'SET _123' (token "_") and 'a != b' (token "!").

INVARIANTS
    (T1) tokens cover the source in order; source[tok.start:tok.end] == tok.text; only whitespace lies between.
    (T2) the list always ends with one EOF token whose start == end == len(source).
"""
import re

# Token kinds. Keyword kinds are the upper-cased keyword itself.
ID = "ID"
NAME = "NAME"
VALUE = "VALUE"
INDEX = "INDEX"
STRING = "STRING"
UNKNOWN = "UNKNOWN"
EOF = "EOF"
KEYWORDS = frozenset(("IN", "BETWEEN", "NOT", "AND", "OR", "SET", "ADD", "DELETE", "REMOVE"))
COMPARATORS = frozenset(("=", "<>", "<", "<=", ">", ">="))

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>[ \t\n\r]+)
  | (?P<op><>|<=|>=|[=<>+\-()\[\],.])
  | (?P<index>0|[1-9][0-9]*)
  | (?P<id>[a-zA-Z][a-zA-Z_0-9]*)
  | (?P<name>\#[a-zA-Z_0-9]+)
  | (?P<value>:[a-zA-Z_0-9]+)
  | (?P<string>"(?:\\"|.)*?"|'(?:\\'|.)*?')
  | (?P<unknown>.)
    """,
    re.VERBOSE | re.DOTALL,
)


class Token:
    """One token: `kind` (see above; operators and punctuation are their own text), `text`, and its span."""

    __slots__ = ("end", "kind", "start", "text")

    def __init__(self, kind: str, text: str, start: int, end: int):
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end

    def __repr__(self):
        return f"Token({self.kind!r}, {self.text!r}, {self.start})"


def tokenize(source: str) -> list:
    """Source text -> list of Token, ending with EOF (T1, T2)."""
    out = []
    append = out.append
    for m in _TOKEN_RE.finditer(source):
        group = m.lastgroup
        if group == "ws":
            continue
        text = m.group()
        if group == "op":
            kind = text
        elif group == "id":
            upper = text.upper()
            kind = upper if upper in KEYWORDS else ID
        elif group == "index":
            kind = INDEX
        elif group == "name":
            kind = NAME
        elif group == "value":
            kind = VALUE
        elif group == "string":
            kind = STRING
        else:
            kind = UNKNOWN
        append(Token(kind, text, m.start(), m.end()))
    n = len(source)
    append(Token(EOF, "<EOF>", n, n))
    return out
