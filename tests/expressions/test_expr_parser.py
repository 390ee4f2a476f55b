"""Parser and tokenizer: every construct, precedence, and the exact texts of parse-time errors."""
import pytest

from pyddb.expressions import ValidationException, ast, parse_condition, parse_projection, parse_update
from pyddb.expressions.parser import (
    RESERVED_WORDS,
    parse_condition_uncached,
    parse_projection_uncached,
    parse_update_uncached,
)
from pyddb.expressions.tokens import tokenize

P = ast.Path
V = ast.Value


def cond(text, kind="ConditionExpression"):
    return parse_condition_uncached(text, kind).root


def upd(text):
    return parse_update_uncached(text).root


def error(fn, *args):
    with pytest.raises(ValidationException) as e:
        fn(*args)
    return e.value.args[0]


# --- tokenizer -----------------------------------------------------------------------------------------
def test_tokenizer_kinds_and_longest_match():
    toks = tokenize("a<>b <= c >= #n1 :v_2 [007] andx AND set _ \"q\" $")
    assert [(t.kind, t.text) for t in toks] == [
        ("ID", "a"), ("<>", "<>"), ("ID", "b"), ("<=", "<="), ("ID", "c"), (">=", ">="), ("NAME", "#n1"),
        ("VALUE", ":v_2"), ("[", "["), ("INDEX", "0"), ("INDEX", "0"), ("INDEX", "7"), ("]", "]"),
        ("ID", "andx"), ("AND", "AND"), ("SET", "set"), ("UNKNOWN", "_"), ("STRING", '"q"'),
        ("UNKNOWN", "$"), ("EOF", "<EOF>")]


def test_tokens_cover_the_source():
    src = "SET a.b[1] = :v ,  c = d"
    for t in tokenize(src)[:-1]:
        assert src[t.start:t.end] == t.text
    assert tokenize(src)[-1].start == len(src)


# --- conditions: every construct ----------------------------------------------------------------------
def test_comparators():
    for op in ("=", "<>", "<", "<=", ">", ">="):
        assert cond(f"a {op} :v") == ast.Compare(op, P(("a",)), V(":v"))


def test_between_in_functions_and_paths():
    assert cond("a.b[3].#c BETWEEN :lo AND :hi") == ast.Between(
        P(("a", "b", 3, ast.Name("#c"))), V(":lo"), V(":hi"))
    assert cond("a IN (:x, b, :z)") == ast.In(P(("a",)), (V(":x"), P(("b",)), V(":z")))
    assert cond("attribute_exists(a)") == ast.Call("attribute_exists", (P(("a",)),))
    assert cond("size(a) >= :n") == ast.Compare(">=", ast.Call("size", (P(("a",)),)), V(":n"))
    assert cond(":n < size(a)") == ast.Compare("<", V(":n"), ast.Call("size", (P(("a",)),)))
    for f in ("attribute_type", "begins_with", "contains"):
        assert cond(f"{f}(a, :v)") == ast.Call(f, (P(("a",)), V(":v")))


def test_precedence_not_over_and_over_or():
    a, b, c = (ast.Compare("=", P((x,)), V(":v")) for x in "abc")
    assert cond("a = :v OR b = :v AND c = :v") == ast.Or((a, ast.And((b, c))))
    assert cond("NOT a = :v AND b = :v") == ast.And((ast.Not(a), b))
    assert cond("NOT NOT a = :v") == ast.Not(a, 2)
    assert cond("(a = :v OR b = :v) AND c = :v") == ast.And((ast.Or((a, b)), c))
    assert cond("a = :v and b = :v or not c = :v") == ast.Or((ast.And((a, b)), ast.Not(c)))


def test_between_binds_its_own_and():
    assert cond("a BETWEEN :x AND :y AND b = :v") == ast.And(
        (ast.Between(P(("a",)), V(":x"), V(":y")), ast.Compare("=", P(("b",)), V(":v"))))


def test_parentheses_around_operands_and_groups():
    assert cond("(a) = (:v)") == ast.Compare("=", P(("a",)), V(":v"))
    assert cond("(a = :v)") == ast.Compare("=", P(("a",)), V(":v"))
    assert cond("((a = :v) AND (b = :v))") == ast.And(
        (ast.Compare("=", P(("a",)), V(":v")), ast.Compare("=", P(("b",)), V(":v"))))
    assert cond("(attribute_exists(a))") == ast.Call("attribute_exists", (P(("a",)),))


@pytest.mark.parametrize("text", ["((a = :v))", "((a)) = :v", "a = ((:v))", "((a = :v)) AND b = :v",
                                  "NOT ((a = :v))"])
def test_redundant_parentheses(text):
    assert error(parse_condition_uncached, text) == \
        "Invalid ConditionExpression: The expression has redundant parentheses;"


def test_redundant_parentheses_in_update():
    assert error(parse_update_uncached, "SET a = ((b + :v))") == \
        "Invalid UpdateExpression: The expression has redundant parentheses;"
    assert upd("SET a = (b + :v)") == ast.Update((ast.SetAction(P(("a",)), ast.Arith("+", P(("b",)), V(":v"))),))
    assert upd("SET a = (b) - :v") == ast.Update((ast.SetAction(P(("a",)), ast.Arith("-", P(("b",)), V(":v"))),))


# --- update ------------------------------------------------------------------------------------------
def test_update_sections_any_order_and_case():
    u = upd("remove x, y[2] set a = :v, b = if_not_exists(b, :z) + :one ADD n :n delete s :s")
    assert u.actions == (
        ast.RemoveAction(P(("x",))), ast.RemoveAction(P(("y", 2))),
        ast.SetAction(P(("a",)), V(":v")),
        ast.SetAction(P(("b",)), ast.Arith("+", ast.Call("if_not_exists", (P(("b",)), V(":z"))), V(":one"))),
        ast.AddAction(P(("n",)), V(":n")), ast.DeleteAction(P(("s",)), V(":s")))


def test_update_functions():
    assert upd("SET l = list_append(:a, list_append_x)").actions[0].value == ast.Call(
        "list_append", (V(":a"), P(("list_append_x",))))
    assert upd("SET l = list_append(if_not_exists(l, :e), :t)").actions[0].value.name == "list_append"


@pytest.mark.parametrize("text,msg", [
    ("SET a = :s SET b = :o", 'The "SET" section can only be used once in an update expression;'),
    ("REMOVE a REMOVE b", 'The "REMOVE" section can only be used once in an update expression;'),
    ("ADD a :v SET b = :v ADD c :v", 'The "ADD" section can only be used once in an update expression;'),
    ("DELETE a :v DELETE b :v", 'The "DELETE" section can only be used once in an update expression;'),
    ("SET r = size(s)", "The function is not allowed in an update expression; function: size"),
    ("SET r = contains(s, :n)", "The function is not allowed in an update expression; function: contains"),
    ("SET r = list_append(list_append(l, :t), :u)",
     "The function is not allowed to be used this way in an expression; function: list_append"),
    ("SET r = :n + list_append(l, :t)",
     "The function is not allowed to be used this way in an expression; function: list_append"),
    ("SET r = foo(a)", "Invalid function name; function: foo"),
    ("SET status = :v", "Attribute name is a reserved keyword; reserved keyword: status"),
    ("SET a[99999999999] = :v", "List index is not within the allowable range; index: [99999999999]"),
])
def test_update_tree_errors(text, msg):
    assert error(parse_update_uncached, text) == "Invalid UpdateExpression: " + msg


def test_if_not_exists_may_nest():
    upd("SET a = if_not_exists(a, :z) + :one, b = list_append(if_not_exists(b, :e), :t)")


# --- condition tree errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text,msg", [
    ("size(a)", "The function is not allowed to be used this way in an expression; function: size"),
    ("NOT size(a)", "The function is not allowed to be used this way in an expression; function: size"),
    ("size(contains(a, :v)) = :n",
     "The function is not allowed to be used this way in an expression; function: contains"),
    ("attribute_exists(a) = :v",
     "The function is not allowed to be used this way in an expression; function: attribute_exists"),
    ("if_not_exists(s, :f) = :f", "The function is not allowed in a condition expression; function: if_not_exists"),
    ("list_append(a, :v) = :v", "The function is not allowed in a condition expression; function: list_append"),
    ("ATTRIBUTE_EXISTS(a)", "Invalid function name; function: ATTRIBUTE_EXISTS"),
    ("COMMENT = :v", "Attribute name is a reserved keyword; reserved keyword: COMMENT"),
    ("#l[0].COMMENT = :v", "Attribute name is a reserved keyword; reserved keyword: COMMENT"),
])
def test_condition_tree_errors(text, msg):
    assert error(parse_condition_uncached, text) == "Invalid ConditionExpression: " + msg


def test_first_tree_error_in_text_order_wins():
    assert error(parse_condition_uncached, "year = :v AND foo(a)") == \
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: year"
    assert error(parse_condition_uncached, "foo(a) AND year = :v") == \
        "Invalid ConditionExpression: Invalid function name; function: foo"


def test_syntax_error_beats_tree_errors():
    assert error(parse_condition_uncached, "year = :v AND") == \
        'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "AND"'


# --- syntax errors: DynamoDB's token / near ----------------------------------------------------------------
@pytest.mark.parametrize("kind,text,token,near", [
    ("ConditionExpression", "foo", "<EOF>", "foo"),                        # LowVoltage, real DynamoDB
    ("ConditionExpression", "a+:delta<b", "+", "a+:delta"),                # LowVoltage, real DynamoDB
    ("UpdateExpression", "INVALID SYNTAX HERE", "INVALID", "INVALID SYNTAX"),  # dynamodb-conformance
    ("UpdateExpression", "ADD hits : incr", ":", "hits : incr"),           # aws-cdk#7591
    ("UpdateExpression", "SET _123 = :v", "_", "SET _123"),                # scylladb alternator comment
    ("UpdateExpression", "SET note = :v +", "<EOF>", "+"),
    ("UpdateExpression", "SET numx = numx * :v", "*", "numx * :v"),
    ("UpdateExpression", "SET numx = numx / :v", "/", "numx / :v"),
    ("UpdateExpression", "ADD numx", "<EOF>", "numx"),
    ("UpdateExpression", "ADD numx 1", "1", "numx 1"),
    ("UpdateExpression", "DELETE setx a", "a", "setx a"),
    ("UpdateExpression", "SET #list[0.#c = :v", ".", "0.#c"),
    ("UpdateExpression", "SET a = b + c + d", "+", "c + d"),
    ("ConditionExpression", "attribute_type()", ")", "()"),
    ("ConditionExpression", "#c =", "<EOF>", "="),
    ("ConditionExpression", "a = :v AND ", "<EOF>", "AND "),
    ("FilterExpression", "#l[-1].#c = :v", "-", "[-1"),
    ("ConditionExpression", "#l[abc].#c = :v", "abc", "[abc]"),
    ("ProjectionExpression", "#l[].#c", "]", "[]."),
    ("ConditionExpression", "a IN ()", ")", "()"),
    ("ConditionExpression", "a != b", "!", "a !="),
    ("ConditionExpression", "a = 'x'", "'x'", "= 'x'"),
    ("ProjectionExpression", "a, set", "set", ", set"),
    ("ProjectionExpression", "a,", "<EOF>", ","),
    ("KeyConditionExpression", "  pk", "<EOF>", "pk"),
    ("UpdateExpression", "  INVALID x", "INVALID", "  INVALID x"),
    ("UpdateExpression", "  SET", "<EOF>", "SET"),
    ("ConditionExpression", "!!!", "!", "!!"),
])
def test_syntax_errors(kind, text, token, near):
    if kind == "UpdateExpression":
        fn = parse_update_uncached
    elif kind == "ProjectionExpression":
        fn = parse_projection_uncached
    else:
        fn = lambda t: parse_condition_uncached(t, kind)
    assert error(fn, text) == f'Invalid {kind}: Syntax error; token: "{token}", near: "{near}"'


# --- whole-text checks ---------------------------------------------------------------------------------
def test_empty_expressions():
    assert error(parse_update, "") == "Invalid UpdateExpression: The expression can not be empty;"
    assert error(parse_projection, "") == "Invalid ProjectionExpression: The expression can not be empty;"
    assert error(parse_condition, "", "FilterExpression") == \
        "Invalid FilterExpression: The expression can not be empty;"


def test_size_limit_4096_and_the_size_suffix():
    name = "a" + "z" * 4095
    parse_projection_uncached(name)  # exactly 4096 is accepted
    assert error(parse_projection_uncached, name + "z") == \
        "Invalid ProjectionExpression: Expression size has exceeded the maximum allowed size;"
    assert error(parse_update_uncached, f"SET {name} = :v") == \
        "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;"
    expr = f"{name} = :v"
    assert error(parse_condition_uncached, expr, "FilterExpression") == \
        f"Invalid FilterExpression: Expression size has exceeded the maximum allowed size; expression size: {len(expr)}"
    expr = f"attribute_not_exists({name})"
    assert error(parse_condition_uncached, expr) == \
        f"Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: {len(expr)}"
    assert error(parse_condition_uncached, f"pk = :p AND {name} = :q", "KeyConditionExpression") == \
        "Invalid KeyConditionExpression: Expression size has exceeded the maximum allowed size;"


def test_deep_nesting_is_refused_without_recursion_error():
    text = "NOT (" * 400 + "a = :v" + ")" * 400
    assert "too many operators" in error(parse_condition_uncached, text)
    long_chain = " AND ".join(["a=:v"] * 400)  # flat: parses fine, the resolver counts its operators
    assert len(parse_condition_uncached(long_chain).root.operands) == 400


# --- reserved words ------------------------------------------------------------------------------------
def test_reserved_word_list_is_the_documented_573():
    assert len(RESERVED_WORDS) == 573
    for w in ("ABORT", "ZONE", "SIZE", "STATUS", "NAME", "DATA", "COUNT", "CONVERT", "TTL"):
        assert w in RESERVED_WORDS


def test_every_reserved_word_is_refused_as_a_plain_name_in_any_case():
    keywords = {"AND", "OR", "NOT", "IN", "BETWEEN", "SET", "ADD", "DELETE", "REMOVE"}
    for w in sorted(RESERVED_WORDS):
        for spelled in (w, w.lower(), w.capitalize()):
            if w in keywords:  # tokenized as keywords: a syntax error instead
                assert "Syntax error" in error(parse_projection_uncached, spelled)
            else:
                assert error(parse_projection_uncached, spelled) == (
                    f"Invalid ProjectionExpression: Attribute name is a reserved keyword; "
                    f"reserved keyword: {spelled}")


def test_reserved_words_are_fine_behind_placeholders_and_as_function_names():
    parse_projection_uncached("#status, #l[0].#comment, statusx, xstatus")
    parse_condition_uncached("size(a) > :v")  # SIZE is reserved, but not as a function name
