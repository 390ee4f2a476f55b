"""Requests that repeat an expression with other values, other types or other names (api/common.py keeps
resolved expressions under their text, names and value placeholders and types: R1-R3).

Each request here must behave as if it were the first of its kind: its own values are used, a value of
another type is judged again, a check on a value itself (attribute_type's type name, BETWEEN's bounds) is
made for every request, and the unused-placeholder check counts only what this request's expressions use.
The texts are DynamoDB's (expressions/messages.py). Everything is in DynamoDB's terms, so the same tests
run over HTTP, where the server process keeps the resolved expressions.
"""

import pytest

from pyddb.client_errors import ClientError

TABLE = "resolved_cache"


@pytest.fixture
def table(ddb):
    ddb.create_table(TableName=TABLE, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "a"}, "n": {"N": "10"}, "s": {"S": "x"},
                                        "m": {"M": {"k": {"N": "1"}}}})
    return TABLE


def fails(call, **request):
    with pytest.raises(ClientError) as info:
        call(**request)
    err = info.value.response["Error"]
    return err["Code"], err["Message"]


def item(ddb):
    return ddb.get_item(TableName=TABLE, Key={"pk": {"S": "a"}}, ConsistentRead=True)["Item"]


def test_each_request_applies_its_own_values(ddb, table):
    for step, expected in (("1", "11"), ("5", "16"), ("-20", "-4")):
        out = ddb.update_item(TableName=TABLE, Key={"pk": {"S": "a"}},
                              UpdateExpression="SET n = n + :d, s = :s",
                              ExpressionAttributeValues={":d": {"N": step}, ":s": {"S": "v" + step}},
                              ReturnValues="UPDATED_NEW")
        assert out["Attributes"] == {"n": {"N": expected}, "s": {"S": "v" + step}}
    assert item(ddb)["n"] == {"N": "-4"}


def test_add_and_delete_take_each_requests_values(ddb, table):
    for tags in (["red"], ["green", "blue"]):
        ddb.update_item(TableName=TABLE, Key={"pk": {"S": "a"}}, UpdateExpression="ADD tags :t",
                        ExpressionAttributeValues={":t": {"SS": tags}})
    assert sorted(item(ddb)["tags"]["SS"]) == ["blue", "green", "red"]
    ddb.update_item(TableName=TABLE, Key={"pk": {"S": "a"}}, UpdateExpression="DELETE tags :t",
                    ExpressionAttributeValues={":t": {"SS": ["green"]}})
    ddb.update_item(TableName=TABLE, Key={"pk": {"S": "a"}}, UpdateExpression="DELETE tags :t",
                    ExpressionAttributeValues={":t": {"SS": ["red"]}})
    assert item(ddb)["tags"] == {"SS": ["blue"]}


def test_a_value_of_another_type_is_judged_again(ddb, table):
    for expression, wrong_type, after in (
        ("SET n = n + :d", "operator or function: +, operand type: S", "13"),
        ("ADD n :d", "operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND", "16"),
    ):
        request = dict(TableName=TABLE, Key={"pk": {"S": "a"}}, UpdateExpression=expression)
        ddb.update_item(ExpressionAttributeValues={":d": {"N": "1"}}, **request)
        assert fails(ddb.update_item, ExpressionAttributeValues={":d": {"S": "1"}}, **request) == (
            "ValidationException",
            "Invalid UpdateExpression: Incorrect operand type for operator or function; " + wrong_type)
        ddb.update_item(ExpressionAttributeValues={":d": {"N": "2"}}, **request)
        assert item(ddb)["n"] == {"N": after}               # 10 + 1 + 2, then + 1 + 2


def test_conditions_take_each_requests_values(ddb, table):
    request = dict(TableName=TABLE, Key={"pk": {"S": "a"}}, UpdateExpression="SET s = :new",
                   ConditionExpression="s = :old AND n < :most")
    ddb.update_item(ExpressionAttributeValues={":old": {"S": "x"}, ":new": {"S": "y"}, ":most": {"N": "11"}},
                    **request)
    code, _ = fails(ddb.update_item, **request,
                    ExpressionAttributeValues={":old": {"S": "x"}, ":new": {"S": "z"}, ":most": {"N": "11"}})
    assert code == "ConditionalCheckFailedException"
    code, _ = fails(ddb.update_item, **request,
                    ExpressionAttributeValues={":old": {"S": "y"}, ":new": {"S": "z"}, ":most": {"N": "10"}})
    assert code == "ConditionalCheckFailedException"
    ddb.update_item(ExpressionAttributeValues={":old": {"S": "y"}, ":new": {"S": "z"}, ":most": {"N": "10.5"}},
                    **request)
    assert item(ddb)["s"] == {"S": "z"}


def test_a_check_on_the_value_itself_is_made_for_every_request(ddb, table):
    request = dict(TableName=TABLE, Key={"pk": {"S": "a"}}, UpdateExpression="SET s = :new",
                   ConditionExpression="attribute_type(n, :t)")
    ddb.update_item(ExpressionAttributeValues={":t": {"S": "N"}, ":new": {"S": "1"}}, **request)
    assert fails(ddb.update_item, ExpressionAttributeValues={":t": {"S": "XN"}, ":new": {"S": "2"}},
                 **request) == (
        "ValidationException",
        "Invalid ConditionExpression: Invalid attribute type name found; type: XN, valid types: "
        "{S,SS,N,NS,B,BS,BOOL,NULL,L,M}")
    code, _ = fails(ddb.update_item, ExpressionAttributeValues={":t": {"S": "S"}, ":new": {"S": "3"}}, **request)
    assert code == "ConditionalCheckFailedException"
    request = dict(TableName=TABLE, Key={"pk": {"S": "a"}}, UpdateExpression="SET s = :new",
                   ConditionExpression="n BETWEEN :lo AND :hi")
    ddb.update_item(ExpressionAttributeValues={":lo": {"N": "1"}, ":hi": {"N": "20"}, ":new": {"S": "4"}},
                    **request)
    assert fails(ddb.update_item, ExpressionAttributeValues={":lo": {"N": "20"}, ":hi": {"N": "1"},
                                                             ":new": {"S": "5"}}, **request) == (
        "ValidationException",
        "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to "
        "lower bound; lower bound operand: AttributeValue: {N:20}, upper bound operand: AttributeValue: {N:1}")
    assert item(ddb)["s"] == {"S": "4"}


def test_unused_placeholders_are_judged_per_request(ddb, table):
    base = dict(TableName=TABLE, Key={"pk": {"S": "a"}}, UpdateExpression="SET s = :v")
    values = {":v": {"S": "1"}, ":x": {"S": "x"}}
    # the update uses :v, the condition :x: nothing unused
    ddb.update_item(ConditionExpression="s = :x", ExpressionAttributeValues=values, **base)
    # the same update again (same placeholders and types), but no expression uses :x now
    assert fails(ddb.update_item, ConditionExpression="attribute_exists(s)", ExpressionAttributeValues=values,
                 **base) == ("ValidationException",
                             "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}")
    # and :v still counts as used by the update
    ddb.update_item(ConditionExpression="attribute_exists(s)", ExpressionAttributeValues={":v": {"S": "2"}},
                    **base)
    names = dict(TableName=TABLE, Key={"pk": {"S": "a"}}, UpdateExpression="SET #a = :v")
    ddb.update_item(ExpressionAttributeNames={"#a": "s", "#b": "n"}, ConditionExpression="#b > :v0",
                    ExpressionAttributeValues={":v": {"S": "3"}, ":v0": {"N": "0"}}, **names)
    assert fails(ddb.update_item, ExpressionAttributeNames={"#a": "s", "#b": "n"},
                 ExpressionAttributeValues={":v": {"S": "4"}}, **names) == (
        "ValidationException", "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}")
    assert item(ddb)["s"] == {"S": "3"}


def test_names_are_part_of_what_is_kept(ddb, table):
    request = dict(TableName=TABLE, Key={"pk": {"S": "a"}}, UpdateExpression="SET #a = :v",
                   ExpressionAttributeValues={":v": {"S": "new"}})
    ddb.update_item(ExpressionAttributeNames={"#a": "s"}, **request)
    ddb.update_item(ExpressionAttributeNames={"#a": "other"}, **request)
    got = item(ddb)
    assert got["s"] == {"S": "new"} and got["other"] == {"S": "new"}
    assert fails(ddb.update_item, ExpressionAttributeNames={"#a": "pk"}, **request) == (
        "ValidationException",
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key")
    nested = dict(TableName=TABLE, Key={"pk": {"S": "a"}}, UpdateExpression="SET s = :v",
                  ConditionExpression="attribute_exists(#a.k)", ExpressionAttributeValues={":v": {"S": "n"}})
    ddb.update_item(ExpressionAttributeNames={"#a": "m"}, **nested)
    assert item(ddb)["s"] == {"S": "n"}
    assert fails(ddb.update_item, ExpressionAttributeNames={"#a": "pk"}, **nested) == (
        "ValidationException", "Key attributes must be scalars; list random access '[]' and map lookup '.' are "
                               "not allowed: Key: pk")


def test_filters_and_projections_take_each_requests_values(ddb, table):
    for i in range(5):
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": "k%d" % i}, "n": {"N": str(i)}, "s": {"S": "s%d" % i}})
    for bound, expected in (("2", {"k3", "k4", "a"}), ("3", {"k4", "a"}), ("9", {"a"})):
        out = ddb.scan(TableName=TABLE, FilterExpression="n > :b", ExpressionAttributeValues={":b": {"N": bound}},
                       ProjectionExpression="pk, #x", ExpressionAttributeNames={"#x": "s"})
        assert {i["pk"]["S"] for i in out["Items"]} == expected
        assert all(set(i) <= {"pk", "s"} for i in out["Items"])
    got = ddb.get_item(TableName=TABLE, Key={"pk": {"S": "k1"}}, ProjectionExpression="pk, #x",
                       ExpressionAttributeNames={"#x": "n"})["Item"]
    assert got == {"pk": {"S": "k1"}, "n": {"N": "1"}}


def test_repeated_requests_use_the_kept_resolution(tmp_path):
    """In process: the second request of a kind resolves nothing (so the tests above do test the kept path)."""
    import pyddb
    from pyddb.api import common

    with pyddb.connect(str(tmp_path / "db")) as c:
        c.create_table(TableName=TABLE, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
        request = dict(TableName=TABLE, Key={"pk": {"S": "z"}}, UpdateExpression="SET q = :q + :one",
                       ConditionExpression="attribute_not_exists(q) OR q < :q")
        c.update_item(ExpressionAttributeValues={":q": {"N": "1"}, ":one": {"N": "1"}}, **request)
        hits = common.RESOLVED.hits
        c.update_item(ExpressionAttributeValues={":q": {"N": "7"}, ":one": {"N": "1"}}, **request)
        assert common.RESOLVED.hits == hits + 2            # the condition and the update
        assert c.get_item(TableName=TABLE, Key={"pk": {"S": "z"}})["Item"]["q"] == {"N": "8"}


def test_kept_resolutions_hold_no_request_values_and_no_large_name_maps(tmp_path):
    """R4: what RESOLVED keeps was resolved against stand-ins of the values' types, and a request with a large
    names map is not kept (each entry stays small whatever the requests carry)."""
    import pyddb
    from pyddb.api import common

    marker = "kept-nowhere-" + "x" * 1000
    with pyddb.connect(str(tmp_path / "db")) as c:
        c.create_table(TableName=TABLE, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
        c.update_item(TableName=TABLE, Key={"pk": {"S": "r4"}}, UpdateExpression="SET r4a = :big, r4n = :n",
                      ConditionExpression="attribute_not_exists(r4a) OR r4a <> :big",
                      ExpressionAttributeValues={":big": {"S": marker}, ":n": {"N": "12345678901"}})
        kept = [entry for key, entry in common.RESOLVED._data.items() if "r4a" in key[1]]
        assert len(kept) == 2                               # the condition and the update
        assert all(marker not in repr(entry[0].actions if hasattr(entry[0], "actions") else entry[0])
                   and "12345678901" not in repr(entry[0].actions if hasattr(entry[0], "actions") else entry[0])
                   for entry in kept)
        assert c.get_item(TableName=TABLE, Key={"pk": {"S": "r4"}})["Item"]["r4a"] == {"S": marker}
        names = {"#r%d" % i: "r4name%d" % i for i in range(100)}
        request = dict(TableName=TABLE, Key={"pk": {"S": "r4"}}, ExpressionAttributeNames=names,
                       UpdateExpression="SET " + ", ".join("%s = :v" % k for k in names),
                       ExpressionAttributeValues={":v": {"S": "v"}})
        c.update_item(**request)
        c.update_item(**request)
        assert not any("r4name" in repr(key) for key in list(common.RESOLVED._data))     # not kept
        assert c.get_item(TableName=TABLE, Key={"pk": {"S": "r4"}})["Item"]["r4name99"] == {"S": "v"}


# ---- Query and Scan: key conditions and filters are kept too --------------------------------------------

QTABLE = "resolved_cache_q"


def create_qtable(client):
    client.create_table(TableName=QTABLE, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}])


@pytest.fixture
def qtable(ddb):
    create_qtable(ddb)
    for p in ("p1", "p2"):
        for i in range(5):
            ddb.put_item(TableName=QTABLE, Item={"pk": {"S": p}, "sk": {"S": "s%d" % i}, "n": {"N": str(i)}})
    return QTABLE


def keys(out):
    return [(i["pk"]["S"], i["sk"]["S"]) for i in out["Items"]]


def test_queries_take_each_requests_key_and_filter_values(ddb, qtable):
    q = dict(TableName=QTABLE, KeyConditionExpression="pk = :p AND sk >= :s")
    assert keys(ddb.query(ExpressionAttributeValues={":p": {"S": "p1"}, ":s": {"S": "s3"}}, **q)) == \
        [("p1", "s3"), ("p1", "s4")]
    assert keys(ddb.query(ExpressionAttributeValues={":p": {"S": "p2"}, ":s": {"S": "s4"}}, **q)) == \
        [("p2", "s4")]
    q = dict(TableName=QTABLE, KeyConditionExpression="pk = :p AND begins_with(sk, :pre)",
             FilterExpression="n <> :skip")
    assert keys(ddb.query(ExpressionAttributeValues={":p": {"S": "p1"}, ":pre": {"S": "s"},
                                                     ":skip": {"N": "2"}}, **q)) == \
        [("p1", "s0"), ("p1", "s1"), ("p1", "s3"), ("p1", "s4")]
    assert keys(ddb.query(ExpressionAttributeValues={":p": {"S": "p2"}, ":pre": {"S": "s0"},
                                                     ":skip": {"N": "2"}}, **q)) == [("p2", "s0")]
    assert keys(ddb.query(ExpressionAttributeValues={":p": {"S": "p2"}, ":pre": {"S": "s"},
                                                     ":skip": {"N": "0"}}, **q)) == \
        [("p2", "s1"), ("p2", "s2"), ("p2", "s3"), ("p2", "s4")]
    out = ddb.scan(TableName=QTABLE, FilterExpression="n = :n", ExpressionAttributeValues={":n": {"N": "4"}})
    assert sorted(keys(out)) == [("p1", "s4"), ("p2", "s4")]


def test_a_query_is_judged_again_for_another_type_its_values_and_its_placeholders(ddb, qtable):
    q = dict(TableName=QTABLE, KeyConditionExpression="pk = :p")
    assert len(ddb.query(ExpressionAttributeValues={":p": {"S": "p1"}}, **q)["Items"]) == 5
    assert fails(ddb.query, ExpressionAttributeValues={":p": {"N": "1"}}, **q) == (
        "ValidationException",
        "One or more parameter values were invalid: Condition parameter type does not match schema type")
    assert fails(ddb.query, ExpressionAttributeValues={":p": {"S": "p1"}, ":x": {"S": "x"}}, **q) == (
        "ValidationException",
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}")
    q = dict(TableName=QTABLE, KeyConditionExpression="pk = :p AND sk BETWEEN :lo AND :hi")
    values = {":p": {"S": "p1"}, ":lo": {"S": "s1"}, ":hi": {"S": "s2"}}
    assert keys(ddb.query(ExpressionAttributeValues=values, **q)) == [("p1", "s1"), ("p1", "s2")]
    values = {":p": {"S": "p1"}, ":lo": {"S": "s4"}, ":hi": {"S": "s1"}}
    code, message = fails(ddb.query, ExpressionAttributeValues=values, **q)
    assert code == "ValidationException"
    assert message.startswith("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to "
                              "be greater than or equal to lower bound") and "{S:s4}" in message


def test_a_repeated_query_uses_the_kept_resolutions_and_they_hold_no_values(tmp_path):
    import pyddb
    from pyddb.api import common

    marker = "kept-nowhere-" + "q" * 100
    with pyddb.connect(str(tmp_path / "db")) as c:
        create_qtable(c)
        c.put_item(TableName=QTABLE, Item={"pk": {"S": marker}, "sk": {"S": "a"}, "v": {"S": marker}})
        q = dict(TableName=QTABLE, KeyConditionExpression="pk = :kp AND sk > :ks", FilterExpression="v = :kv")
        values = {":kp": {"S": marker}, ":ks": {"S": "0"}, ":kv": {"S": marker}}
        assert len(c.query(ExpressionAttributeValues=values, **q)["Items"]) == 1
        hits = common.RESOLVED.hits
        other = dict(values, **{":kv": {"S": "other"}})
        assert len(c.query(ExpressionAttributeValues=other, **q)["Items"]) == 0
        assert common.RESOLVED.hits == hits + 2            # the key condition and the filter
        texts = ("pk = :kp AND sk > :ks", "v = :kv")   # this test's own
        kept = [entry for key, entry in common.RESOLVED._data.items() if key[1] in texts]
        assert len(kept) == 2 and all(marker not in repr(entry[0]) for entry in kept)


def test_requests_with_many_or_long_value_placeholders_are_not_kept(tmp_path):
    """R4: the key holds every placeholder of a request, used or not, so a request with many (or long) ones
    is resolved and answered but not kept: a stream of such requests cannot fill the cache with big keys."""
    import pyddb
    from pyddb.api import common

    with pyddb.connect(str(tmp_path / "db")) as c:
        create_qtable(c)
        c.put_item(TableName=QTABLE, Item={"pk": {"S": "m"}, "sk": {"S": "1"}, "a": {"S": "x"}})
        many = {":m%d" % i: {"S": "x"} for i in range(100)}
        text = "pk = :mp AND sk > :m0"
        filters = " OR ".join("a = :m%d" % i for i in range(1, 100))
        out = c.query(TableName=QTABLE, KeyConditionExpression=text, FilterExpression=filters,
                      ExpressionAttributeValues=dict(many, **{":mp": {"S": "m"}, ":m0": {"S": "0"}}))
        assert out["Count"] == 1
        long_name = ":" + "l" * 2000
        out = c.query(TableName=QTABLE, KeyConditionExpression="pk = :mp2 AND sk > " + long_name,
                      ExpressionAttributeValues={":mp2": {"S": "m"}, long_name: {"S": "0"}})
        assert out["Count"] == 1
        assert not [key for key in list(common.RESOLVED._data) if key[1] in (text, filters)
                    or long_name in key[1]]
