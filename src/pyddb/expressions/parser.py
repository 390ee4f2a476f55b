"""Recursive descent over tokens.py's tokens: one parser for the five expression kinds.

GRAMMAR (DynamoDB's DynamoDbGrammar.g4 as shipped in the DAX clients; precedence high to low: comparison,
IN, BETWEEN, function < NOT < AND < OR; AND and OR group to the right)
    condition   := or
    or          := and (OR and)*
    and         := not (AND not)*
    not         := NOT* primary
    primary     := '(' condition ')'                                  grouping
                 | operand comparator operand
                 | operand IN '(' operand (',' operand)* ')'
                 | operand BETWEEN operand AND operand
                 | function                                           e.g. attribute_exists(a)
    operand     := path | VALUE | function | '(' operand ')'
    function    := ID '(' operand (',' operand)* ')'
    path        := (ID | NAME) ('.' (ID | NAME) | '[' INDEX ']')*
    update      := (SET set (',' set)* | REMOVE path (',' path)* | ADD path VALUE (',' ...)* | DELETE ...)+
    set         := path '=' (operand | arithmetic)
    arithmetic  := operand ('+' | '-') operand | '(' arithmetic ')'     no chains: a + b + c is an error
    projection  := path (',' path)*

ORDER OF ERRORS (DynamoDB Local, decompiled: DynamoDbParser.java, ExpressionErrorListener.java, ASTListener.java)
    1. empty text; 2. size (UTF-16 code units, Java's String.length()) over 4096;
    3. the first syntax error, or redundant parentheses, whichever the left-to-right parse meets first;
    4. after a complete parse, the first of these in text order (DynamoDB checks them walking the finished
       tree): reserved word as a plain name, list index beyond 2^31-1, unknown function, function not
       allowed in this kind of expression or at this place, a section used twice.
    Checks that need ExpressionAttributeNames/Values live in resolve.py (they run per request).

SYNTAX ERROR TEXT
    token: the offending token's text ("<EOF>" at the end). near: the source from the start of the token
    before it (or the start of the text) to the end of the token after it (or the end of the text); the
    whitespace in between is kept (ExpressionErrorListener: prev + hidden + current + hidden + next).

CHOOSING AT "(" AND AT A FUNCTION (DynamoDB's parser predicts with unlimited lookahead; here, one scan to the
matching ")")
    In a condition, "(" or a function call starts an operand when the token after its matching ")" is a
    comparator, IN or BETWEEN; otherwise it is a grouped condition or the function is the condition itself.
    In SET, "(" holds arithmetic when the operand inside it is followed by + or -, and an operand followed by
    + or - is the left side of one. (This decides where DynamoDB's function-context rules apply.)

INVARIANTS
    (P1) a successful parse consumed every token up to EOF.
    (P2) the tree holds placeholders only; nothing here looks at ExpressionAttributeNames/Values.
    (P3) nesting of groupings, parentheses and calls is bounded (MAX_NESTING): deeper text necessarily holds
         more than 300 operators, which DynamoDB rejects, so the error is raised instead of recursing on.
"""
import sys
from pathlib import Path as _FsPath

from . import ast
from . import messages as msg
from .tokens import COMPARATORS, EOF, ID, INDEX, NAME, VALUE, tokenize

# (P3) Each nesting level costs a handful of Python frames in the parser, resolver and evaluator.
MAX_NESTING = 320
if sys.getrecursionlimit() < 6000:  # pragma: no cover - depends on the interpreter's default
    sys.setrecursionlimit(6000)

CONDITION_KINDS = ("ConditionExpression", "FilterExpression", "KeyConditionExpression")
RESERVED_WORDS = frozenset(
    w.strip().upper()
    for w in (_FsPath(__file__).with_name("reserved.txt")).read_text(encoding="ascii").split()
    if w.strip()
)
# Functions by where they may appear ([LOCAL] Operator.java CONDITION_FUNCTIONS / VALUE_FUNCTIONS, without
# the internal ones DynamoDB does not document: convert, list_delete, contains_key, contains_value).
CONDITION_FUNCTIONS = frozenset(("attribute_exists", "attribute_not_exists", "attribute_type", "begins_with",
                                 "contains", "size"))
BOOLEAN_FUNCTIONS = CONDITION_FUNCTIONS - {"size"}
UPDATE_FUNCTIONS = frozenset(("if_not_exists", "list_append"))
_SECTIONS = ("SET", "REMOVE", "ADD", "DELETE")
_AFTER_OPERAND = COMPARATORS | {"IN", "BETWEEN"}
_INT_MAX = 2**31 - 1


class _SyntaxError(Exception):
    def __init__(self, index):
        self.index = index


def expression_size(text: str) -> int:
    """Length in UTF-16 code units, as DynamoDB's Java String.length() counts."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def check_text(kind: str, text: str):
    """Steps 1 and 2 of ORDER OF ERRORS."""
    if not text:
        raise msg.invalid(kind, msg.EMPTY)
    size = expression_size(text)
    if size > msg.MAX_EXPRESSION_SIZE:
        if kind in ("ConditionExpression", "FilterExpression"):
            raise msg.invalid(kind, msg.SIZE_EXCEEDED_WITH_SIZE.format(size=size))
        raise msg.invalid(kind, msg.SIZE_EXCEEDED)


def syntax_message(source: str, toks: list, i: int) -> str:
    cur = toks[i]
    start = toks[i - 1].start if i > 0 else 0
    if cur.kind != EOF and i + 1 < len(toks) and toks[i + 1].kind != EOF:
        end = toks[i + 1].end
    else:
        end = len(source)
    return msg.SYNTAX.format(token=cur.text, near=source[start:end])


class _Parser:
    __slots__ = (
        "category",
        "deferred",
        "depth",
        "grouped",
        "i",
        "kind",
        "nesting",
        "op_count",
        "parened",
        "source",
        "toks",
    )

    def __init__(self, kind: str, source: str):
        self.kind = kind
        self.source = source
        self.toks = tokenize(source)
        self.i = 0
        self.deferred = None      # the first tree-walk error (step 4), raised after a complete parse
        self.nesting = 0          # DynamoDB's function-context nesting (comparisons, IN, BETWEEN, +/-, calls)
        self.depth = 0            # (P3)
        self.grouped = False      # the condition just parsed is a parenthesised group
        self.parened = False      # the operand just parsed is parenthesised
        self.category = "UPDATE" if kind == "UpdateExpression" else "CONDITION"
        self.op_count = 0

    # --- helpers -------------------------------------------------------------------------------------
    def fail(self, i=None):
        raise _SyntaxError(self.i if i is None else i)

    def peek(self):
        return self.toks[self.i]

    def advance(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, kind):
        t = self.toks[self.i]
        if t.kind != kind:
            self.fail()
        self.i += 1
        return t

    def defer(self, message):
        if self.deferred is None:
            self.deferred = message

    def redundant(self):
        raise msg.invalid(self.kind, msg.REDUNDANT_PARENS)

    def enter(self):
        self.depth += 1
        if self.depth > MAX_NESTING:  # (P3)
            raise msg.invalid(self.kind, msg.TOO_MANY_OPERATORS.format(count=msg.MAX_OPERATORS + 1))

    def matching_paren(self, i):
        level = 0
        toks = self.toks
        for j in range(i, len(toks)):
            k = toks[j].kind
            if k == "(":
                level += 1
            elif k == ")":
                level -= 1
                if level == 0:
                    return j
        return None

    # --- paths and operands ----------------------------------------------------------------------------
    def path_id(self):
        t = self.peek()
        if t.kind == ID:
            self.i += 1
            if t.text.upper() in RESERVED_WORDS:
                self.defer(msg.RESERVED.format(word=t.text))
            return t.text
        if t.kind == NAME:
            self.i += 1
            return ast.Name(t.text)
        self.fail()

    def path(self):
        elements = [self.path_id()]
        toks = self.toks
        while True:
            k = toks[self.i].kind
            if k == ".":
                self.i += 1
                elements.append(self.path_id())
            elif k == "[":
                self.i += 1
                t = self.expect(INDEX)
                self.expect("]")
                index = int(t.text)
                if index > _INT_MAX:
                    self.defer(msg.LIST_INDEX.format(index=f"[{t.text}]"))
                elements.append(index)
            else:
                return ast.Path(tuple(elements))

    def function(self):
        name_tok = self.advance()
        name = name_tok.text
        self.advance()  # "("
        self.check_function(name)
        self.op_count += 1
        self.nesting += 1
        self.enter()
        args = [self.operand()]
        while self.peek().kind == ",":
            self.i += 1
            args.append(self.operand())
        self.expect(")")
        self.depth -= 1
        self.nesting -= 1
        self.parened = False
        return ast.Call(name, tuple(args))

    def check_function(self, name):
        """[LOCAL] ASTListener.enterFunctionCall."""
        if name not in CONDITION_FUNCTIONS and name not in UPDATE_FUNCTIONS:
            self.defer(msg.UNKNOWN_FUNCTION.format(name=name))
        elif self.category == "UPDATE":
            if name not in UPDATE_FUNCTIONS:
                self.defer(msg.NOT_IN_UPDATE.format(name=name))
            elif self.nesting > 0 and name != "if_not_exists":
                self.defer(msg.FUNCTION_CONTEXT.format(name=name))
        else:
            if name not in CONDITION_FUNCTIONS:
                self.defer(msg.NOT_IN_CONDITION.format(name=name))
            elif self.nesting == 0 and name not in BOOLEAN_FUNCTIONS or self.nesting > 0 and name != "size":
                self.defer(msg.FUNCTION_CONTEXT.format(name=name))

    def operand(self):
        t = self.peek()
        k = t.kind
        if k == "(":
            self.i += 1
            self.enter()
            inner = self.operand()
            self.expect(")")
            self.depth -= 1
            if self.parened:
                self.redundant()
            self.parened = True
            return inner
        self.parened = False
        if k == ID:
            if self.toks[self.i + 1].kind == "(":
                return self.function()
            return self.path()
        if k == NAME:
            return self.path()
        if k == VALUE:
            self.i += 1
            return ast.Value(t.text)
        self.fail()

    # --- conditions ------------------------------------------------------------------------------------
    def condition(self):
        items = [self.conjunction()]
        while self.peek().kind == "OR":
            self.i += 1
            items.append(self.conjunction())
        if len(items) == 1:
            return items[0]
        self.grouped = False
        self.op_count += len(items) - 1
        return ast.Or(tuple(items))

    def conjunction(self):
        items = [self.negation()]
        while self.peek().kind == "AND":
            self.i += 1
            items.append(self.negation())
        if len(items) == 1:
            return items[0]
        self.grouped = False
        self.op_count += len(items) - 1
        return ast.And(tuple(items))

    def negation(self):
        count = 0
        while self.peek().kind == "NOT":
            self.i += 1
            count += 1
        node = self.primary()
        if count:
            self.grouped = False
            self.op_count += count
            return ast.Not(node, count)
        return node

    def operand_end(self, i):
        """Index just past the operand starting at token i (None if it is not one, or is unbalanced)."""
        toks = self.toks
        k = toks[i].kind
        if k == "(" or (k == ID and toks[i + 1].kind == "("):
            close = self.matching_paren(i if k == "(" else i + 1)
            return None if close is None else close + 1
        if k == VALUE:
            return i + 1
        if k not in (ID, NAME):
            return None
        j = i + 1
        while True:
            k = toks[j].kind
            if k == "." and toks[j + 1].kind in (ID, NAME):
                j += 2
            elif k == "[" and toks[j + 1].kind == INDEX and toks[j + 2].kind == "]":
                j += 3
            else:
                return j

    def primary(self):
        t = self.peek()
        k = t.kind
        if k == "(" or (k == ID and self.toks[self.i + 1].kind == "("):
            end = self.operand_end(self.i)
            if end is None or self.toks[end].kind not in _AFTER_OPERAND:
                if k == ID:  # a function used as the condition itself (nesting level 0)
                    self.grouped = False
                    return self.function()
                self.i += 1
                self.enter()
                inner = self.condition()
                self.expect(")")
                self.depth -= 1
                if self.grouped:
                    self.redundant()
                self.grouped = True
                return inner
        self.grouped = False
        self.nesting += 1  # enterComparator / enterIn / enterBetween ([LOCAL] ASTListener)
        left = self.operand()
        k = self.peek().kind
        if k in COMPARATORS:
            self.i += 1
            right = self.operand()
            node = ast.Compare(k, left, right)
        elif k == "IN":
            self.i += 1
            self.expect("(")
            choices = [self.operand()]
            while self.peek().kind == ",":
                self.i += 1
                choices.append(self.operand())
            self.expect(")")
            node = ast.In(left, tuple(choices))
        elif k == "BETWEEN":
            self.i += 1
            low = self.operand()
            self.expect("AND")
            high = self.operand()
            node = ast.Between(left, low, high)
        else:
            self.fail()
        self.nesting -= 1
        self.op_count += 1
        return node

    # --- update ----------------------------------------------------------------------------------------
    def update(self):
        seen = []
        actions = []
        toks = self.toks
        if toks[self.i].kind not in _SECTIONS:
            self.fail()
        while toks[self.i].kind in _SECTIONS:
            section = self.advance().kind
            while True:
                path = self.path()
                if section == "SET":
                    self.expect("=")
                    actions.append(ast.SetAction(path, self.set_value()))
                elif section == "REMOVE":
                    actions.append(ast.RemoveAction(path))
                else:
                    t = self.expect(VALUE)
                    node = ast.AddAction if section == "ADD" else ast.DeleteAction
                    actions.append(node(path, ast.Value(t.text)))
                if toks[self.i].kind != ",":
                    break
                self.i += 1
            if section in seen:
                self.defer(msg.DUPLICATE_SECTION.format(section=section))
            seen.append(section)
        return ast.Update(tuple(actions))

    def set_value(self):
        """operand | arithmetic, decided by what follows the first operand (see CHOOSING AT "(")."""
        toks = self.toks
        if toks[self.i].kind == "(":
            inner_end = self.operand_end(self.i + 1)
            if inner_end is not None and toks[inner_end].kind in ("+", "-"):
                return self.paren_value()
        end = self.operand_end(self.i)
        if end is not None and toks[end].kind in ("+", "-"):
            self.nesting += 1  # enterPlusMinus: both operands are one level down
            left = self.operand()
            op = self.advance().kind
            right = self.operand()
            self.nesting -= 1
            self.op_count += 1
            self.parened = False
            return ast.Arith(op, left, right)
        if toks[self.i].kind == "(":
            return self.paren_value()
        return self.operand()

    def paren_value(self):
        """'(' (arithmetic | operand) ')' with the redundant-parentheses rule."""
        self.i += 1
        self.enter()
        inner = self.set_value()
        self.expect(")")
        self.depth -= 1
        if self.parened:
            self.redundant()
        self.parened = True
        return inner

    # --- entry points ----------------------------------------------------------------------------------
    def finish(self, root):
        if self.peek().kind != EOF:  # (P1)
            self.fail()
        if self.deferred is not None:
            raise msg.invalid(self.kind, self.deferred)
        return ast.Parsed(self.kind, self.source, root, self.op_count)


def _run(kind: str, text: str, rule: str) -> ast.Parsed:
    check_text(kind, text)
    p = _Parser(kind, text)
    try:
        if rule == "condition":
            root = p.condition()
        elif rule == "update":
            root = p.update()
        else:
            paths = [p.path()]
            while p.peek().kind == ",":
                p.i += 1
                paths.append(p.path())
            root = ast.Projection(tuple(paths))
        return p.finish(root)
    except _SyntaxError as e:
        raise msg.invalid(kind, syntax_message(text, p.toks, e.index)) from None


def parse_condition_uncached(text: str, kind: str = "ConditionExpression") -> ast.Parsed:
    if kind not in CONDITION_KINDS:
        raise ValueError(f"not a condition kind: {kind!r}")
    return _run(kind, text, "condition")


def parse_update_uncached(text: str) -> ast.Parsed:
    return _run("UpdateExpression", text, "update")


def parse_projection_uncached(text: str) -> ast.Parsed:
    return _run("ProjectionExpression", text, "projection")
