"""Per-request checks: placeholders, operand types, path overlap/conflict, operator limits, key conditions."""
import pytest

from pyddb.expressions import (
    KeyCondition,
    Resolver,
    ValidationException,
    apply_update,
    evaluate_condition,
    parse_condition,
    parse_key_condition,
    parse_projection,
    parse_update,
    project,
)

S = {"S": "x"}
N1 = {"N": "1"}


def error(fn, *args):
    with pytest.raises(ValidationException) as e:
        fn(*args)
    return e.value.args[0]


def cond_error(text, values=None, names=None, kind="ConditionExpression"):
    return error(evaluate_condition, parse_condition(text, kind), {}, names, values)


def update_error(text, values=None, names=None, item=None):
    return error(apply_update, parse_update(text), item or {}, names, values)


# --- undefined and unused placeholders ----------------------------------------------------------------
def test_undefined_value_and_name():
    assert cond_error("foo = :foo") == \
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :foo"
    assert cond_error("#missing = :v", {":v": S}, kind="FilterExpression") == \
        "Invalid FilterExpression: An expression attribute name used in the document path is not defined; attribute name: #missing"
    assert update_error("SET attr1 = :v") == \
        "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :v"
    assert error(project, parse_projection("a.#u"), {}) == \
        "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #u"


def test_unused_names_then_values_across_the_request():
    assert update_error("SET attr1 = :v", {":v": S}, {"#unused": "someattr"}) == \
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}"
    assert update_error("SET attr1 = :v", {":v": S, ":unused": S}) == \
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"
    assert update_error("SET a = :v", {":v": S, ":u": S}, {"#n": "a", "#m": "b"}) == \
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#n, #m}"
    # a placeholder used by any of the request's expressions counts as used
    r = Resolver({"#a": "a", "#b": "b"}, {":v": S, ":w": S})
    r.update(parse_update("SET #a = :v"))
    r.condition(parse_condition("#b <> :w"))
    r.check_unused()


def test_undefined_name_comes_before_overlap_and_values_in_update():
    assert update_error("SET #a = :missing", {}, {}) == \
        "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #a"
    # paths are checked last action first, before any value
    assert update_error("SET a = :x, #b = :y") == \
        "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #b"


# --- operand types and operator rules -------------------------------------------------------------------
@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
@pytest.mark.parametrize("t,v", [("BOOL", True), ("NULL", True), ("SS", ["a"]), ("NS", ["1"]), ("L", []),
                                  ("M", {})])
def test_ordering_needs_an_ordered_literal(op, t, v):
    assert cond_error(f"n {op} :v", {":v": {t: v}}) == (
        f"Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: "
        f"{op}, operand type: {t}")


def test_operand_type_errors():
    prefix = "Invalid ConditionExpression: Incorrect operand type for operator or function; "
    assert cond_error("n BETWEEN :a AND :b", {":a": {"BOOL": True}, ":b": {"BOOL": False}}) == \
        prefix + "operator or function: BETWEEN, operand type: BOOL"
    assert cond_error("size(s) > :b", {":b": {"BOOL": True}}) == prefix + "operator or function: >, operand type: BOOL"
    assert cond_error("begins_with(a, :n)", {":n": N1}) == prefix + "operator or function: begins_with, operand type: N"
    assert cond_error("size(:n) > :n", {":n": N1}) == prefix + "operator or function: size, operand type: N"
    assert cond_error("size(size(a)) > :n", {":n": N1}) == prefix + "operator or function: size, operand type: N"
    assert cond_error("attribute_type(a, :n)", {":n": N1}) == prefix + "operator or function: attribute_type, operand type: N"
    assert cond_error("attribute_type(a, b)") == (
        prefix + "operator or function: attribute_type, operand type: "
        "{S,SS,N,NS,B,BS,BOOL,NULL,L,M,HD,DOUBLE,FLOAT,HDS,FS,DOUBLESET,DICT,DECIMAL,INT,DECIMALSET,INTSET}")
    # equality, IN, contains accept every type
    for text in ("n = :v", "n <> :v", "n IN (:v)", "contains(n, :v)"):
        evaluate_condition(parse_condition(text), {}, None, {":v": {"BOOL": True}})
    # a path of any type never fails validation
    evaluate_condition(parse_condition("flag > n"), {"flag": {"BOOL": True}}, None, None)


def test_validated_upfront_regardless_of_short_circuit():
    for text in ("attribute_not_exists(zzz) OR n > :bool", "attribute_exists(zzz) AND n > :bool", "NOT (n > :bool)"):
        assert "Incorrect operand type" in cond_error(text, {":bool": {"BOOL": True}})


def test_update_operand_types():
    prefix = "Invalid UpdateExpression: Incorrect operand type for operator or function; "
    assert update_error("SET a = list_append(a, :m)", {":m": {"M": {}}}) == \
        prefix + "operator or function: list_append, operand type: M"
    assert update_error("SET a = :s + a", {":s": S}) == prefix + "operator or function: +, operand type: S"
    assert update_error("ADD numx :list", {":list": {"L": [N1]}}) == \
        prefix + "operator: ADD, operand type: LIST, typeSet: ALLOWED_FOR_ADD_OPERAND"
    assert update_error("DELETE setx :s", {":s": S}) == \
        prefix + "operator: DELETE, operand type: STRING, typeSet: ALLOWED_FOR_DELETE_OPERAND"
    assert update_error("DELETE setx :n", {":n": N1}) == \
        prefix + "operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND"
    assert update_error("ADD x :m", {":m": {"M": {}}}) == \
        prefix + "operator: ADD, operand type: MAP, typeSet: ALLOWED_FOR_ADD_OPERAND"
    assert update_error("SET a = if_not_exists(:v, a)", {":v": S}) == \
        "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists"


def test_requires_path_distinct_operands_attribute_type_names():
    assert cond_error("attribute_exists(:v)", {":v": S}) == \
        "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists"
    assert cond_error("contains(name_, name_)") == (
        "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this "
        "operator or function; operator: contains, first operand: [name_]")
    assert cond_error("a.b[1] = #x.b[1]", None, {"#x": "a"}) == (
        "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this "
        "operator or function; operator: =, first operand: [a, b, [1]]")
    assert cond_error("attribute_type(a, :t)", {":t": {"S": "STRING"}}) == (
        "Invalid ConditionExpression: Invalid attribute type name found; type: STRING, "
        "valid types: {S,SS,N,NS,B,BS,BOOL,NULL,L,M}")
    assert cond_error("size(a, b) = :n", {":n": N1}) == (
        "Invalid ConditionExpression: Incorrect number of operands for operator or function; "
        "operator or function: size, number of operands: 2")
    assert cond_error("contains(a)") == (
        "Invalid ConditionExpression: Incorrect number of operands for operator or function; "
        "operator or function: contains, number of operands: 1")


def test_between_bounds():
    assert cond_error("pk BETWEEN :l AND :u", {":l": {"N": "5"}, ":u": {"N": "4"}}) == (
        "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to "
        "lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:4}")
    assert cond_error("pk BETWEEN :l AND :u", {":l": {"S": "z"}, ":u": {"S": "a"}}).endswith(
        "lower bound operand: AttributeValue: {S:z}, upper bound operand: AttributeValue: {S:a}")
    assert cond_error("pk BETWEEN :l AND :u", {":l": {"B": b"z"}, ":u": {"B": b"a"}}).endswith(
        "lower bound operand: AttributeValue: {B:eg==}, upper bound operand: AttributeValue: {B:YQ==}")
    assert cond_error("pk BETWEEN :l AND :u", {":l": {"N": "5"}, ":u": {"S": "a"}}) == (
        "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; "
        "lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {S:a}")
    evaluate_condition(parse_condition("pk BETWEEN :l AND :u"), {}, None, {":l": {"N": "5"}, ":u": {"N": "5.0"}})


def test_in_operand_limit():
    values = {f":v{i}": {"N": str(i)} for i in range(101)}
    ok = ", ".join(f":v{i}" for i in range(100))
    r = Resolver(None, values)
    r.condition(parse_condition(f"a IN ({ok})"))
    assert cond_error(f"a IN ({ok}, :v100)", values) == \
        "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101"


def test_operator_limit():
    ok = " AND ".join(["a=:v"] * 150)  # 150 comparisons + 149 ANDs = 299
    evaluate_condition(parse_condition("NOT " + ok), {}, None, {":v": S})  # 300: accepted
    assert cond_error(ok + " AND b=:v", {":v": S}) == \
        "Invalid ConditionExpression: The expression contains too many operators; operator count: 301"


def test_path_depth_limit():
    deep = ".".join(["a"] * 32)
    evaluate_condition(parse_condition(f"attribute_exists({deep})"), {}, None, None)
    assert cond_error(f"attribute_exists({deep}.a)") == \
        "Invalid ConditionExpression: The document path has too many nesting levels; nesting levels: 33"


# --- overlapping and conflicting paths (DynamoDB reads the paths last to first) --------------------------
@pytest.mark.parametrize("text,one,two", [
    ("SET fieldx = :v, fieldx = :v", "[fieldx]", "[fieldx]"),
    ("SET mapx = :v, mapx.num = :v", "[mapx]", "[mapx, num]"),
    ("SET mapx.num = :v, mapx = :v", "[mapx, num]", "[mapx]"),
    ("SET lst[0] = :v, lst[0].ok = :v", "[lst, [0]]", "[lst, [0], ok]"),
    ("SET #attribute = :v, fieldx = :v", "[fieldx]", "[fieldx]"),
    ("SET a = :v REMOVE a", "[a]", "[a]"),
    ("REMOVE a.b.c ADD a.b :v", "[a, b, c]", "[a, b]"),
])
def test_update_paths_overlap(text, one, two):
    names = {"#attribute": "fieldx"} if "#attribute" in text else None
    assert update_error(text, {":v": N1}, names) == (
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of "
        f"these paths; path one: {one}, path two: {two}")


def test_update_paths_conflict():
    assert update_error("SET a[0] = :v, a.b = :v", {":v": N1}) == (
        "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of "
        "these paths; path one: [a, [0]], path two: [a, b]")
    apply_update(parse_update("SET a.b = :v, a.c = :v, l[0] = :v, l[1] = :v"),
                 {"a": {"M": {}}, "l": {"L": []}}, None, {":v": N1})


@pytest.mark.parametrize("text,one,two", [
    ("a, a.b", "[a]", "[a, b]"), ("a.b, a", "[a, b]", "[a]"), ("a, a", "[a]", "[a]"),
    ("alist[0], alist", "[alist, [0]]", "[alist]"), ("x, a.b, a", "[a, b]", "[a]"),
])
def test_projection_overlap(text, one, two):  # ExtendDB tests/test_projection_overlapping_paths.py (captured)
    assert error(project, parse_projection(text), {}) == (
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of "
        f"these paths; path one: {one}, path two: {two}")


def test_projection_overlap_uses_resolved_names_and_precedes_unused():
    assert error(project, parse_projection("#p, #p.#q"), {}, {"#p": "a", "#q": "b", "#z": "zzz"}) == (
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of "
        "these paths; path one: [a], path two: [a, b]")


# --- key conditions -------------------------------------------------------------------------------------
def kc(text, values, hash_key="pk", range_key="sk", names=None, key_types=None):
    r = Resolver(names, values)
    out = r.key_condition(parse_key_condition(text), hash_key, range_key, key_types)
    r.check_unused()
    return out


P, A, B = {"S": "p"}, {"S": "a"}, {"S": "b"}


def test_key_condition_descriptions():
    assert kc("pk = :p", {":p": P}) == KeyCondition("pk", P, None, None, ())
    for op in ("=", "<", "<=", ">", ">="):
        assert kc(f"pk = :p AND sk {op} :a", {":p": P, ":a": A}) == KeyCondition("pk", P, "sk", op, (A,))
    assert kc("#k = :p AND :a <= #s", {":p": P, ":a": A}, names={"#k": "pk", "#s": "sk"}) == \
        KeyCondition("pk", P, "sk", ">=", (A,))
    assert kc("sk BETWEEN :a AND :b AND pk = :p", {":p": P, ":a": A, ":b": B}) == \
        KeyCondition("pk", P, "sk", "BETWEEN", (A, B))
    assert kc("(pk = :p) AND (begins_with(sk, :a))", {":p": P, ":a": A}) == \
        KeyCondition("pk", P, "sk", "BEGINS_WITH", (A,))
    assert kc("(pk = :p AND sk = :a)", {":p": P, ":a": A}) == KeyCondition("pk", P, "sk", "=", (A,))
    assert kc("pk = :p", {":p": P}, range_key=None) == KeyCondition("pk", P, None, None, ())


@pytest.mark.parametrize("text,message", [
    ("sk = :a", "Query condition missed key schema element: pk"),
    ("attr1 = :a", "Query condition missed key schema element: pk"),
    ("pk = :p AND foo = :a", "Query condition missed key schema element: sk"),
    ("foo = :p AND sk = :a", "Query condition missed key schema element: pk"),
    ("pk > :p", "Query key condition not supported"),
    ("pk BETWEEN :a AND :b", "Query key condition not supported"),
    ("begins_with(pk, :a)", "Query key condition not supported"),
    ("pk > :a AND sk < :b", "Query key condition not supported"),
    ("pk = :p AND sk > :a AND sk2 < :b", "Conditions can be of length 1 or 2 only"),
    ("pk = :p OR sk = :a", "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: OR"),
    ("NOT pk = :p", "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: NOT"),
    ("pk <> :p", "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: <>"),
    ("pk IN (:p, :a)", "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: IN"),
    ("pk = :p AND attribute_exists(sk)",
     "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: attribute_exists"),
    ("pk = :p AND contains(sk, :a)",
     "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: contains"),
    ("pk = :p AND size(sk) = :a", "Invalid KeyConditionExpression: KeyConditionExpressions cannot contain nested operations"),
    ("pk.foo = :p", "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes"),
    ("pk = :p AND sk[0] = :a",
     "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes"),
    ("pk = :p AND :a < sk.foo",
     "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes"),
    ("sk > :a AND sk < :b", "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key"),
    ("pk = sk", "Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"),
    (":p = :a", "Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: No key attribute specified"),
    ("pk = :p AND :a BETWEEN sk AND :b", ("Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: "
                                          "BETWEEN operator must have the key attribute as its first operand")),
    ("pk = :p AND begins_with(:a, sk)", ("Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: "
                                         "begins_with operator must have the key attribute as its first operand")),
    ("data.foo = :p", "Invalid KeyConditionExpression: Attribute name is a reserved keyword; reserved keyword: data"),
])
def test_key_condition_errors(text, message):
    values = {":p": P, ":a": A, ":b": B}
    used = {k: v for k, v in values.items() if k in text}
    with pytest.raises(ValidationException) as e:
        kc(text, used)
    assert e.value.args[0] == message


def test_key_condition_hash_only_table_and_types():
    with pytest.raises(ValidationException) as e:
        kc("pk = :p AND sk = :a", {":p": P, ":a": A}, range_key=None)
    assert e.value.args[0] == "Query key condition not supported"
    with pytest.raises(ValidationException) as e:
        kc("pk = :p", {":p": N1}, key_types={"pk": "S"})
    assert e.value.args[0] == \
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    with pytest.raises(ValidationException) as e:
        kc("pk = :p AND begins_with(sk, :n)", {":p": P, ":n": N1}, key_types={"pk": "S", "sk": "N"})
    assert e.value.args[0] == ("Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
                               "operator or function: begins_with, operand type: N")
