"""The nodes the parser produces: small frozen dataclasses, shared by all five expression kinds.

A parsed tree still holds placeholders: a path element is a `str` (a plain attribute name), a `Name` ("#n")
or an `int` (a list index); a value operand is a `Value` (":v"). `resolve.py` builds a *new* tree in which
every path element is a `str` or `int` and every `Value` is a `Literal` holding the wire AttributeValue, so
the cached parse tree is never changed (C1 in cache.py).

CONDITION NODES (ConditionExpression, FilterExpression, KeyConditionExpression)
    Compare(op, left, right)        op in = <> < <= > >=
    Between(operand, low, high)
    In(operand, choices)            choices: tuple of operands
    Call(name, args)                a function; as a condition or (size) as an operand
    And(operands) / Or(operands)    n-ary: a chain a AND b AND c, which DynamoDB groups to the right
    Not(operand, count)             count consecutive NOTs (NOT NOT x has count 2)
OPERANDS
    Path(elements) | Value(ref) | Literal(av) | Call(name, args) | Arith(op, left, right) (update only)
UPDATE
    Update(actions, sections)       actions in text order; sections: the section keywords in text order
    SetAction(path, value) | RemoveAction(path) | AddAction(path, value) | DeleteAction(path, value)
PROJECTION
    Projection(paths)
Every top-level result is wrapped as Parsed(kind, text, root) so errors can name the expression kind.
"""
from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass(frozen=True)
class Name:
    """An ExpressionAttributeNames placeholder inside a path, e.g. Name('#n')."""
    ref: str


@dataclass(frozen=True)
class Path:
    """A document path a.b[3].#c -> elements ('a', 'b', 3, Name('#c'))."""
    elements: tuple[Any, ...]


@dataclass(frozen=True)
class Value:
    """An ExpressionAttributeValues placeholder, e.g. Value(':v')."""
    ref: str


@dataclass(frozen=True)
class Literal:
    """A resolved value: the wire AttributeValue dict (never mutated), and the placeholder it came from
    (`ref`, None when no request's ExpressionAttributeValues gave it). A resolved tree kept for later
    requests (api/common.py RESOLVED) is evaluated against each request's own values: the value of a Literal
    with a ref is `values[ref]` of the values the evaluation is given, `av` only without them."""
    av: Any
    ref: Optional[str] = field(default=None, compare=False)

    def __hash__(self):  # AttributeValues are dicts; identity is enough for a resolved tree
        return id(self)


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Arith:
    op: str  # "+" or "-"
    left: Any
    right: Any


@dataclass(frozen=True)
class Compare:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class Between:
    operand: Any
    low: Any
    high: Any


@dataclass(frozen=True)
class In:
    operand: Any
    choices: tuple[Any, ...]


@dataclass(frozen=True)
class And:
    operands: tuple[Any, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Any, ...]


@dataclass(frozen=True)
class Not:
    operand: Any
    count: int = 1


@dataclass(frozen=True)
class SetAction:
    path: Path
    value: Any


@dataclass(frozen=True)
class RemoveAction:
    path: Path


@dataclass(frozen=True)
class AddAction:
    path: Path
    value: Any


@dataclass(frozen=True)
class DeleteAction:
    path: Path
    value: Any


@dataclass(frozen=True)
class Update:
    actions: tuple[Any, ...]


@dataclass(frozen=True)
class Projection:
    paths: tuple[Path, ...]


@dataclass(frozen=True)
class Parsed:
    """A parse result: `kind` is the request parameter ("ConditionExpression", "FilterExpression",
    "KeyConditionExpression", "ProjectionExpression" or "UpdateExpression"), `text` the source, `root` the tree
    (a condition node, Update or Projection), `op_count` the operators and functions in it."""
    kind: str
    text: str
    root: Any
    op_count: int = 0


def path_str(elements) -> str:
    """DynamoDB's rendering of a resolved path in messages: [a, b, [3]] ([LOCAL] DocPath.toString)."""
    return "[" + ", ".join(f"[{e}]" if isinstance(e, int) else e for e in elements) + "]"
