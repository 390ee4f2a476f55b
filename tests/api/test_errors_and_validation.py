"""DynamoDB's error types and request validation: exact texts, the wire envelope, boto3 compatibility.

The expected texts are DynamoDB's, as recorded against the service in dynalite's test suite (test/putItem.js,
test/createTable.js, test/batchWriteItem.js, test/deleteTable.js, ...) or quoted from DynamoDB by its users;
the sources are cited next to each text in src/pyddb/errors.py and src/pyddb/validation/shapes.py.
"""

import json
import os
import pickle
import subprocess
import sys

import pytest

from pyddb import errors as E
from pyddb.client_errors import (
    EXCEPTIONS,
    ClientError,
    error_response,
    exception_class,
    make_exceptions,
    new_request_id,
    to_client_error,
)
from pyddb.validation import rules, shapes
from pyddb.validation.shapes import validate_request

try:
    import botocore  # noqa: F401

    HAVE_BOTOCORE = True
except ImportError:
    HAVE_BOTOCORE = False

needs_botocore = pytest.mark.skipif(not HAVE_BOTOCORE, reason="botocore not installed")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHAPES_JSON = os.path.join(ROOT, "src", "pyddb", "validation", "service_shapes.json")


def rejected(op, request, wire=False):
    with pytest.raises(E.DynamoDBError) as info:
        validate_request(op, request, wire=wire)
    return info.value


def validation_message(op, request, wire=False):
    err = rejected(op, request, wire)
    assert isinstance(err, E.ValidationException), err
    return err.message


def serialization_message(op, request):
    err = rejected(op, request, wire=True)
    assert isinstance(err, E.SerializationException), err
    return err.message


def v(value, path, constraint):
    shown = "null" if value is None else "'%s'" % value
    return "Value %s at '%s' failed to satisfy constraint: %s" % (shown, path, constraint)


NOT_NULL = "Member must not be null"
TABLE_PATTERN = "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"


# =========================================================================================================
# errors.py: the wire envelope
# =========================================================================================================


def test_every_modelled_error_shape_has_a_class_and_no_class_claims_a_shape_the_model_lacks():
    with open(SHAPES_JSON, encoding="utf-8") as f:
        data = json.load(f)
    model = set()
    for svc in data["services"].values():
        model.update(svc["errors"])
    modelled = {code for code, cls in E.ERROR_CLASSES.items() if cls.modelled}
    assert modelled == model


def test_the_unmodelled_errors_dynamodb_returns_all_have_classes():
    for code in (
        "ValidationException",
        "SerializationException",
        "UnknownOperationException",
        "MissingAuthenticationTokenException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "IncompleteSignatureException",
        "AccessDeniedException",
        "ThrottlingException",
        "InternalServerError",
        "ServiceUnavailable",
    ):
        assert E.error_class(code).code == code


def test_code_is_the_class_name_and_the_type_suffix():
    for code, cls in E.ERROR_CLASSES.items():
        assert cls.__name__ == code
        status, body = cls("m").to_wire()
        assert body["__type"].endswith("#" + code)


def test_http_statuses():
    for code, cls in E.ERROR_CLASSES.items():
        expected = {"InternalServerError": 500, "ServiceUnavailable": 503}.get(code, 400)
        assert cls().to_wire()[0] == expected == cls.http_status


def test_type_namespaces():
    assert (
        E.ResourceNotFoundException.table("t").to_wire()[1]["__type"]
        == "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    )
    assert (
        E.ValidationException("x").to_wire()[1]["__type"] == "com.amazon.coral.validate#ValidationException"
    )
    for cls in (
        E.SerializationException,
        E.UnknownOperationException,
        E.MissingAuthenticationTokenException,
        E.UnrecognizedClientException,
        E.InvalidSignatureException,
        E.IncompleteSignatureException,
    ):
        assert cls().to_wire()[1]["__type"] == "com.amazon.coral.service#" + cls.code


def test_message_key_casing_per_type():
    capital = {
        "IdempotentParameterMismatchException",
        "TransactionCanceledException",
        "TransactionInProgressException",
        "SerializationException",
    }
    for code, cls in E.ERROR_CLASSES.items():
        body = cls("text").to_wire()[1]
        key = "Message" if code in capital else "message"
        assert body[key] == "text"
        assert ("message" if key == "Message" else "Message") not in body


def test_errors_without_a_message_have_no_message_key():
    assert E.UnknownOperationException().to_wire() == (
        400,
        {"__type": "com.amazon.coral.service#UnknownOperationException"},
    )
    assert E.SerializationException.not_json().to_wire() == (
        400,
        {"__type": "com.amazon.coral.service#SerializationException"},
    )


def test_resource_not_found_texts_per_operation():
    for op in (
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchWriteItem",
        "BatchGetItem",
        "TransactWriteItems",
        "TransactGetItems",
        None,
    ):
        assert E.ResourceNotFoundException.table("t1", op).message == "Requested resource not found"
    for op in ("DescribeTable", "DeleteTable", "UpdateTable", "DescribeTimeToLive", "UpdateTimeToLive"):
        assert (
            E.ResourceNotFoundException.table("t1", op).message
            == "Requested resource not found: Table: t1 not found"
        )
    assert (
        E.ResourceNotFoundException.resource_arn("arn:aws:dynamodb:us-east-1:1:table/x").message
        == "Requested resource not found: ResourcArn: arn:aws:dynamodb:us-east-1:1:table/x not found"
    )


def test_resource_in_use_texts():
    assert E.ResourceInUseException.table_exists("users").to_wire() == (
        400,
        {
            "__type": "com.amazonaws.dynamodb.v20120810#ResourceInUseException",
            "message": "Table already exists: users",
        },
    )
    assert (
        E.ResourceInUseException.table_in_use("users").message
        == "Attempt to change a resource which is still in use: Table is being created: users"
    )


def test_conditional_check_failed_default_text_and_item():
    assert E.ConditionalCheckFailedException().to_wire() == (
        400,
        {
            "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
            "message": "The conditional request failed",
        },
    )
    item = {"pk": {"S": "a"}, "n": {"N": "1"}}
    err = E.ConditionalCheckFailedException(item=item)
    assert err.item == item
    assert err.to_wire()[1] == {
        "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
        "message": "The conditional request failed",
        "Item": item,
    }


def test_transaction_canceled_message_and_body_order():
    reasons = [
        E.cancellation_reason(),
        E.cancellation_reason(
            "ConditionalCheckFailed", E.CONDITIONAL_CHECK_FAILED_REASON, item={"pk": {"S": "a"}}
        ),
    ]
    err = E.TransactionCanceledException(cancellation_reasons=reasons)
    assert err.message == (
        "Transaction cancelled, please refer cancellation reasons for specific reasons "
        "[None, ConditionalCheckFailed]"
    )
    status, body = err.to_wire()
    assert status == 400
    assert list(body) == ["__type", "CancellationReasons", "Message"]
    assert body["CancellationReasons"] == [
        {"Code": "None"},
        {
            "Code": "ConditionalCheckFailed",
            "Item": {"pk": {"S": "a"}},
            "Message": "The conditional request failed",
        },
    ]
    assert err.cancellation_reasons == reasons


def test_validation_texts():
    assert E.ValidationException.item_too_large().message == "Item size has exceeded the maximum allowed size"
    assert (
        E.ValidationException.update_item_too_large().message
        == "Item size to update has exceeded the maximum allowed size"
    )
    assert E.ValidationException.return_values_put().message == "ReturnValues can only be ALL_OLD or NONE"
    assert (
        E.ValidationException.invalid_parameters("x").message
        == "One or more parameter values were invalid: x"
    )
    assert E.ValidationException.detected(["a"]).message == "1 validation error detected: a"
    assert E.ValidationException.detected(["a", "b"]).message == "2 validation errors detected: a; b"
    assert (
        E.ValidationException.key_schema_mismatch().message
        == "The provided key element does not match the schema"
    )


def test_other_fixed_texts():
    assert E.MissingAuthenticationTokenException().message == "Request is missing Authentication Token"
    assert E.UnrecognizedClientException().message == "The security token included in the request is invalid."
    assert E.InvalidSignatureException().message.startswith(
        "The request signature we calculated does not match the signature you provided."
    )
    assert E.ProvisionedThroughputExceededException().message == (
        "The level of configured provisioned throughput for the table was exceeded. "
        "Consider increasing your provisioning level with the UpdateTable API."
    )
    assert E.ThrottlingException().message == "Rate of requests exceeds the allowed throughput."
    assert E.ItemCollectionSizeLimitExceededException().message == "Collection size exceeded."
    assert (
        E.AccessDeniedException.not_authorized("arn:aws:iam::1:user/u", "PutItem", "*").message
        == "User: arn:aws:iam::1:user/u is not authorized to perform: dynamodb:PutItem on resource: *"
    )
    assert (
        E.IncompleteSignatureException.missing_parts(["Signature"], True, "AWS4-HMAC-SHA256 x").message
        == "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 x"
    )


def test_errors_pickle_with_their_fields():
    err = E.TransactionCanceledException(cancellation_reasons=[E.cancellation_reason()])
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is E.TransactionCanceledException and back.to_wire() == err.to_wire()
    back = pickle.loads(pickle.dumps(E.ConditionalCheckFailedException(item={"a": {"S": "b"}})))
    assert back.item == {"a": {"S": "b"}}


# =========================================================================================================
# client_errors.py: what code written for boto3 sees
# =========================================================================================================


def test_client_error_str_response_and_classes():
    exc = to_client_error(E.ConditionalCheckFailedException(), "PutItem")
    assert isinstance(exc, ClientError)
    assert isinstance(exc, EXCEPTIONS.ConditionalCheckFailedException)
    assert str(exc) == (
        "An error occurred (ConditionalCheckFailedException) when calling the PutItem operation: "
        "The conditional request failed"
    )
    assert exc.operation_name == "PutItem"
    r = exc.response
    assert r["Error"] == {
        "Message": "The conditional request failed",
        "Code": "ConditionalCheckFailedException",
    }
    meta = r["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == 400 and meta["RetryAttempts"] == 0
    assert meta["RequestId"] == meta["HTTPHeaders"]["x-amzn-requestid"]
    assert r["message"] == "The conditional request failed"  # botocore's modelled parse adds it
    assert "Item" not in r


def test_client_error_catch_styles():
    client_exceptions = make_exceptions()
    with pytest.raises(client_exceptions.ConditionalCheckFailedException) as info:
        raise to_client_error(E.ConditionalCheckFailedException(item={"pk": {"S": "a"}}), "PutItem")
    assert info.value.response["Item"] == {"pk": {"S": "a"}}
    assert info.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    with pytest.raises(client_exceptions.ClientError):
        raise to_client_error(E.ResourceNotFoundException.table("t", "DescribeTable"), "DescribeTable")
    try:
        raise to_client_error(E.ResourceNotFoundException.table("t"), "GetItem")
    except client_exceptions.ConditionalCheckFailedException:  # pragma: no cover
        pytest.fail("caught by the wrong class")
    except client_exceptions.ResourceNotFoundException as e:
        assert e.response["Error"]["Message"] == "Requested resource not found"


def test_transaction_canceled_response_carries_cancellation_reasons():
    err = E.TransactionCanceledException(
        cancellation_reasons=[
            E.cancellation_reason(),
            E.cancellation_reason("ConditionalCheckFailed", E.CONDITIONAL_CHECK_FAILED_REASON),
        ]
    )
    exc = to_client_error(err, "TransactWriteItems")
    assert exc.response["CancellationReasons"] == [
        {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
    ]
    assert exc.response["Message"] == err.message
    assert exc.response["Error"]["Message"] == err.message
    assert str(exc) == (
        "An error occurred (TransactionCanceledException) when calling the TransactWriteItems "
        "operation: Transaction cancelled, please refer cancellation reasons for specific "
        "reasons [None, ConditionalCheckFailed]"
    )


def test_unmodelled_errors_have_only_error_and_metadata():
    exc = to_client_error(E.ValidationException("bad"), "Query")
    assert set(exc.response) == {"Error", "ResponseMetadata"}
    assert exc.response["Error"] == {"Message": "bad", "Code": "ValidationException"}
    exc = to_client_error(E.UnknownOperationException(), "Foo")
    assert exc.response["Error"] == {"Message": "", "Code": "UnknownOperationException"}
    assert str(exc) == "An error occurred (UnknownOperationException) when calling the Foo operation: "


def test_internal_server_error_status():
    exc = to_client_error(E.InternalServerError(), "GetItem")
    assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_exceptions_container_behaves_like_botocores():
    ex = make_exceptions()
    assert ex.ClientError is ClientError
    assert ex.from_code("ResourceNotFoundException") is ex.ResourceNotFoundException
    assert ex.from_code("NoSuchCode") is ClientError
    assert exception_class("NoSuchCode") is ClientError
    with pytest.raises(AttributeError, match="Valid exceptions are: "):
        ex.NoSuchException
    for code in E.ERROR_CLASSES:
        cls = getattr(ex, code)
        assert isinstance(cls, type) and issubclass(cls, ClientError) and cls.__name__ == code
    # two clients share the classes, so one's class catches the other's errors
    assert make_exceptions().ConditionalCheckFailedException is EXCEPTIONS.ConditionalCheckFailedException


def test_client_error_pickles_as_client_error():
    exc = to_client_error(E.ConditionalCheckFailedException(), "PutItem")
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is ClientError and back.response == exc.response and str(back) == str(exc)


def test_request_ids_look_like_dynamodbs():
    rid = new_request_id()
    assert len(rid) == 52 and rid.isalnum() and rid.upper() == rid


@needs_botocore
def test_is_botocores_client_error():
    import botocore.exceptions

    assert ClientError is botocore.exceptions.ClientError
    with pytest.raises(botocore.exceptions.ClientError) as info:
        raise to_client_error(E.ResourceInUseException.table_exists("t"), "CreateTable")
    assert info.value.response["Error"]["Code"] == "ResourceInUseException"


@needs_botocore
@pytest.mark.parametrize(
    "err",
    [
        E.ConditionalCheckFailedException(item={"pk": {"S": "a"}, "n": {"N": "1"}}),
        E.ResourceNotFoundException.table("t", "DescribeTable"),
        E.TransactionCanceledException(
            cancellation_reasons=[
                E.cancellation_reason(),
                E.cancellation_reason("ConditionalCheckFailed", "The conditional request failed"),
            ]
        ),
        E.ValidationException("1 validation error detected: x"),
        E.SerializationException("Expected null"),
        E.IdempotentParameterMismatchException("m"),
        E.InternalServerError(),
    ],
    ids=lambda e: e.code,
)
def test_response_equals_what_botocore_parses_from_the_wire_body(err):
    """Feed to_wire()'s body through botocore's own JSON parser and modelled-error step (endpoint.py
    _add_modeled_error_fields): the response must be the same as the one pyddb builds in-process."""
    import botocore.session
    from botocore.parsers import create_parser

    model = botocore.session.get_session().get_service_model("dynamodb")
    status, body = err.to_wire()
    raw = {"status_code": status, "headers": {}, "body": json.dumps(body).encode()}
    parser = create_parser("json")
    parsed = parser.parse(raw, model.operation_model("PutItem").output_shape)
    shape = model.shape_for_error_code(parsed["Error"]["Code"])
    if shape is not None:
        parsed.update(parser.parse(raw, shape))
    ours = error_response(err)
    parsed.pop("ResponseMetadata")
    ours.pop("ResponseMetadata")
    assert ours == parsed


def test_without_botocore_a_local_client_error_does_the_same():
    code = r"""
import sys, pickle
sys.modules['botocore'] = None          # import botocore fails
from pyddb import errors as E, client_errors as C
assert not C.HAVE_BOTOCORE
e = C.to_client_error(E.ConditionalCheckFailedException(item={'a': {'S': 'b'}}), 'PutItem')
assert isinstance(e, C.ClientError) and isinstance(e, C.EXCEPTIONS.ConditionalCheckFailedException)
assert str(e) == ('An error occurred (ConditionalCheckFailedException) when calling the PutItem operation: '
                  'The conditional request failed'), str(e)
assert e.response['Item'] == {'a': {'S': 'b'}}
assert e.response['Error']['Code'] == 'ConditionalCheckFailedException'
assert e.operation_name == 'PutItem'
assert C.EXCEPTIONS.from_code('Nope') is C.ClientError and C.EXCEPTIONS.ClientError is C.ClientError
try:
    C.EXCEPTIONS.Nope
except AttributeError as x:
    assert 'Valid exceptions are' in str(x)
b = pickle.loads(pickle.dumps(e))
assert type(b) is C.ClientError and b.response == e.response
print('ok')
"""
    env = dict(
        os.environ, PYTHONPATH=os.path.join(ROOT, "src") + os.pathsep + os.environ.get("PYTHONPATH", "")
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


# =========================================================================================================
# validation/shapes.py: DynamoDB's texts for representative requests
# =========================================================================================================


class TestPutItem:
    def test_no_table_name_and_no_item(self):
        assert validation_message("PutItem", {}) == (
            "2 validation errors detected: "
            + v(None, "tableName", NOT_NULL)
            + "; "
            + v(None, "item", NOT_NULL)
        )

    def test_empty_table_name(self):
        assert validation_message(
            "PutItem", {"TableName": ""}
        ) == "3 validation errors detected: " + "; ".join(
            [
                v("", "tableName", TABLE_PATTERN),
                v("", "tableName", "Member must have length greater than or equal to 3"),
                v(None, "item", NOT_NULL),
            ]
        )

    def test_short_bad_table_name(self):
        assert validation_message(
            "PutItem", {"TableName": "a;", "Item": {}}
        ) == "2 validation errors detected: " + "; ".join(
            [
                v("a;", "tableName", TABLE_PATTERN),
                v("a;", "tableName", "Member must have length greater than or equal to 3"),
            ]
        )

    def test_long_table_name(self):
        name = "a" * 256
        assert validation_message(
            "PutItem", {"TableName": name, "Item": {}}
        ) == "1 validation error detected: " + v(
            name, "tableName", "Member must have length less than or equal to 255"
        )

    def test_enums_in_dynamodbs_member_and_value_order(self):
        assert validation_message(
            "PutItem",
            {
                "TableName": "abc;",
                "ReturnConsumedCapacity": "hi",
                "ReturnItemCollectionMetrics": "hi",
                "ReturnValues": "hi",
            },
        ) == "5 validation errors detected: " + "; ".join(
            [
                v(
                    "hi",
                    "returnConsumedCapacity",
                    "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
                ),
                v("abc;", "tableName", TABLE_PATTERN),
                v(None, "item", NOT_NULL),
                v(
                    "hi",
                    "returnValues",
                    "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
                ),
                v("hi", "returnItemCollectionMetrics", "Member must satisfy enum value set: [SIZE, NONE]"),
            ]
        )

    def test_valid_request_passes_and_is_not_modified(self):
        req = {
            "TableName": "users",
            "Item": {"pk": {"S": "a"}, "b": {"B": b"\x00"}, "l": {"L": [{"N": "1"}]}},
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValues": "ALL_OLD",
        }
        before = repr(req)
        assert validate_request("PutItem", req) is req
        assert repr(req) == before

    def test_table_arn_is_accepted(self):
        validate_request(
            "PutItem",
            {"TableName": "arn:aws:dynamodb:us-east-1:123456789012:table/users", "Item": {"pk": {"S": "a"}}},
        )


class TestGetItem:
    def test_missing_key_and_empty_attributes_to_get(self):
        assert validation_message(
            "GetItem", {"TableName": "abc", "AttributesToGet": []}
        ) == "2 validation errors detected: " + "; ".join(
            [
                v("[]", "attributesToGet", "Member must have length greater than or equal to 1"),
                v(None, "key", NOT_NULL),
            ]
        )

    def test_return_consumed_capacity_is_reported_first(self):
        assert validation_message(
            "GetItem", {"ReturnConsumedCapacity": "X", "Key": {}}
        ) == "2 validation errors detected: " + "; ".join(
            [
                v(
                    "X",
                    "returnConsumedCapacity",
                    "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
                ),
                v(None, "tableName", NOT_NULL),
            ]
        )


class TestCreateTable:
    def test_no_table_name(self):
        assert (
            validation_message("CreateTable", {})
            == "The paramater 'tableName' is required but was not present in the request"
        )

    @pytest.mark.parametrize("name", ["", "a;", "a" * 256])
    def test_table_name_length_checked_alone(self, name):
        assert (
            validation_message("CreateTable", {"TableName": name})
            == "TableName must be at least 3 characters long and at most 255 characters long"
        )

    def test_pattern_then_the_other_members(self):
        assert validation_message(
            "CreateTable", {"TableName": "abc;"}
        ) == "1 validation error detected: " + v("abc;", "tableName", TABLE_PATTERN)

    def test_ranges_and_lengths(self):
        req = {
            "TableName": "abc",
            "AttributeDefinitions": [],
            "KeySchema": [],
            "ProvisionedThroughput": {"ReadCapacityUnits": -1, "WriteCapacityUnits": -1},
        }
        assert validation_message("CreateTable", req) == "3 validation errors detected: " + "; ".join(
            [
                v(
                    "-1",
                    "provisionedThroughput.writeCapacityUnits",
                    "Member must have value greater than or equal to 1",
                ),
                v(
                    "-1",
                    "provisionedThroughput.readCapacityUnits",
                    "Member must have value greater than or equal to 1",
                ),
                v("[]", "keySchema", "Member must have length greater than or equal to 1"),
            ]
        )

    def test_list_member_paths(self):
        req = {
            "TableName": "abc",
            "AttributeDefinitions": [{}],
            "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
        }
        assert validation_message("CreateTable", req) == "2 validation errors detected: " + "; ".join(
            [
                v(None, "attributeDefinitions.1.member.attributeName", NOT_NULL),
                v(None, "attributeDefinitions.1.member.attributeType", NOT_NULL),
            ]
        )

    def test_attribute_type_enum(self):
        req = {
            "TableName": "abc",
            "AttributeDefinitions": [{"AttributeName": "b", "AttributeType": "SS"}],
            "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
        }
        assert validation_message("CreateTable", req) == "1 validation error detected: " + v(
            "SS",
            "attributeDefinitions.1.member.attributeType",
            "Member must satisfy enum value set: [B, N, S]",
        )

    def test_describe_and_delete_use_the_same_prechecks(self):
        for op in ("DescribeTable", "DeleteTable"):
            assert (
                validation_message(op, {})
                == "The paramater 'tableName' is required but was not present in the request"
            )
            assert (
                validation_message(op, {"TableName": "ab"})
                == "TableName must be at least 3 characters long and at most 255 characters long"
            )
        assert (
            validation_message("DescribeTimeToLive", {})
            == "The parameter 'TableName' is required but was not present in the request"
        )


class TestQuery:
    def test_limit_select_and_index_name(self):
        req = {"TableName": "abc", "Limit": 0, "Select": "ALL", "IndexName": "x;"}
        assert validation_message("Query", req) == "4 validation errors detected: " + "; ".join(
            [
                v("0", "limit", "Member must have value greater than or equal to 1"),
                v(
                    "ALL",
                    "select",
                    "Member must satisfy enum value set: "
                    "[SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]",
                ),
                v("x;", "indexName", TABLE_PATTERN),
                v("x;", "indexName", "Member must have length greater than or equal to 3"),
            ]
        )

    def test_comparison_operator_enum_inside_a_map(self):
        req = {"TableName": "abc", "KeyConditions": {"a": {"ComparisonOperator": "XX"}}}
        assert validation_message("Query", req) == "1 validation error detected: " + v(
            "XX",
            "keyConditions.a.member.comparisonOperator",
            "Member must satisfy enum value set: "
            "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, "
            "BEGINS_WITH, GE, CONTAINS]",
        )


def test_list_tables_limit_and_start_name():
    name = "89hls;;f;d" + "a" * 250
    assert validation_message(
        "ListTables", {"Limit": 2147483647, "ExclusiveStartTableName": name}
    ) == "3 validation errors detected: " + "; ".join(
        [
            v("2147483647", "limit", "Member must have value less than or equal to 100"),
            v(name, "exclusiveStartTableName", TABLE_PATTERN),
            v(name, "exclusiveStartTableName", "Member must have length less than or equal to 255"),
        ]
    )


class TestUpdateItem:
    def test_member_order(self):
        req = {"ReturnValues": "X", "ReturnItemCollectionMetrics": "X", "ReturnConsumedCapacity": "X"}
        assert validation_message("UpdateItem", req) == "5 validation errors detected: " + "; ".join(
            [
                v(
                    "X",
                    "returnConsumedCapacity",
                    "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
                ),
                v(None, "tableName", NOT_NULL),
                v("X", "returnItemCollectionMetrics", "Member must satisfy enum value set: [SIZE, NONE]"),
                v(
                    "X",
                    "returnValues",
                    "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
                ),
                v(None, "key", NOT_NULL),
            ]
        )

    def test_valid_update_passes(self):
        validate_request(
            "UpdateItem",
            {
                "TableName": "t1x",
                "Key": {"pk": {"S": "a"}},
                "UpdateExpression": "SET #s = :s",
                "ExpressionAttributeNames": {"#s": "s"},
                "ExpressionAttributeValues": {":s": {"SS": ["a", "b"]}},
                "ReturnValues": "ALL_NEW",
            },
        )


class TestBatchWriteItem:
    def test_empty(self):
        assert validation_message("BatchWriteItem", {}) == "1 validation error detected: " + v(
            None, "requestItems", NOT_NULL
        )
        assert validation_message(
            "BatchWriteItem", {"RequestItems": {}}
        ) == "1 validation error detected: " + v(
            "{}", "requestItems", "Member must have length greater than or equal to 1"
        )

    def test_map_key_and_value_constraints(self):
        msg = validation_message("BatchWriteItem", {"RequestItems": {"a": []}})
        assert msg == "2 validation errors detected: " + "; ".join(
            [
                v(
                    "{a=[]}",
                    "requestItems",
                    "Map keys must satisfy constraint: [Member must have length less than or equal to 255, "
                    "Member must have length greater than or equal to 3, " + TABLE_PATTERN + "]",
                ),
                v(
                    "{a=[]}",
                    "requestItems",
                    "Map value must satisfy constraint: [Member must have length less than or equal to 25, "
                    "Member must have length greater than or equal to 1]",
                ),
            ]
        )

    def test_nested_paths_after_the_map_constraints(self):
        req = {
            "RequestItems": {"aa;": [{"PutRequest": {}, "DeleteRequest": {}}]},
            "ReturnConsumedCapacity": "hi",
            "ReturnItemCollectionMetrics": "hi",
        }
        msg = validation_message("BatchWriteItem", req)
        parts = msg.split("; ")
        assert parts[0].startswith("5 validation errors detected: Value 'hi' at 'returnConsumedCapacity'")
        assert parts[1].startswith("Value 'hi' at 'returnItemCollectionMetrics'")
        assert (
            "at 'requestItems' failed to satisfy constraint: Map keys must satisfy constraint: " in parts[2]
        )
        assert parts[3] == v(None, "requestItems.aa;.member.1.member.deleteRequest.key", NOT_NULL)
        assert parts[4] == v(None, "requestItems.aa;.member.1.member.putRequest.item", NOT_NULL)

    def test_more_than_25_requests(self):
        reqs = [{"PutRequest": {"Item": {"a": {"S": str(i)}}}} for i in range(26)]
        msg = validation_message("BatchWriteItem", {"RequestItems": {"abc": reqs}})
        assert msg.startswith("1 validation error detected: Value '{abc=[")
        assert msg.endswith(
            "' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: "
            "[Member must have length less than or equal to 25, "
            "Member must have length greater than or equal to 1]"
        )
        validate_request("BatchWriteItem", {"RequestItems": {"abc": reqs[:25]}})


class TestTransactWriteItems:
    def test_empty_and_missing(self):
        assert validation_message("TransactWriteItems", {}) == "1 validation error detected: " + v(
            None, "transactItems", NOT_NULL
        )
        assert validation_message(
            "TransactWriteItems", {"TransactItems": []}
        ) == "1 validation error detected: " + v(
            "[]", "transactItems", "Member must have length greater than or equal to 1"
        )

    def test_nested_put_item(self):
        assert validation_message(
            "TransactWriteItems", {"TransactItems": [{"Put": {"TableName": "abc"}}]}
        ) == "1 validation error detected: " + v(None, "transactItems.1.member.put.item", NOT_NULL)

    def test_more_than_100_actions(self):
        items = [
            {"ConditionCheck": {"TableName": "abc", "Key": {"a": {"S": str(i)}}, "ConditionExpression": "x"}}
            for i in range(101)
        ]
        msg = validation_message("TransactWriteItems", {"TransactItems": items})
        assert msg.endswith(
            "' at 'transactItems' failed to satisfy constraint: "
            "Member must have length less than or equal to 100"
        )

    def test_enum_inside_an_action(self):
        req = {
            "TransactItems": [
                {
                    "Delete": {
                        "TableName": "abc",
                        "Key": {"a": {"S": "x"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_NEW",
                    }
                }
            ]
        }
        assert validation_message("TransactWriteItems", req) == "1 validation error detected: " + v(
            "ALL_NEW",
            "transactItems.1.member.delete.returnValuesOnConditionCheckFailure",
            "Member must satisfy enum value set: [ALL_OLD, NONE]",
        )


def test_at_most_ten_errors_are_reported():
    req = {"TransactItems": [{"Put": {}} for _ in range(20)]}
    msg = validation_message("TransactWriteItems", req)
    assert msg.startswith("10 validation errors detected: ")
    assert msg.count("failed to satisfy constraint") == 10


def test_unknown_operation():
    err = rejected("NoSuchOperation", {})
    assert isinstance(err, E.UnknownOperationException) and err.message is None


def test_operations_include_streams():
    ops = shapes.operations()
    assert {"PutItem", "TransactWriteItems", "GetRecords", "GetShardIterator", "DescribeStream"} <= set(ops)
    assert shapes.service_of("GetRecords") == "dynamodbstreams"
    assert "TableName" in shapes.input_members("PutItem")
    assert validation_message("GetRecords", {}) == "1 validation error detected: " + v(
        None, "shardIterator", NOT_NULL
    )


# =========================================================================================================
# Wrong types: SerializationException
# =========================================================================================================


@pytest.mark.parametrize(
    "value,message",
    [
        (5, "NUMBER_VALUE can not be converted to a String"),
        (1.5, "NUMBER_VALUE can not be converted to a String"),
        (True, "TRUE_VALUE can not be converted to a String"),
        (False, "FALSE_VALUE can not be converted to a String"),
        ([], "Start of list found where not expected"),
        ({}, "Start of structure or map found where not expected."),
    ],
)
def test_string_member_of_the_wrong_type(value, message):
    assert serialization_message("GetItem", {"TableName": value, "Key": {}}) == message


@pytest.mark.parametrize(
    "member,value,message",
    [
        ("Limit", "5", "STRING_VALUE can not be converted to an Integer"),
        ("Limit", True, "TRUE_VALUE can not be converted to an Integer"),
        ("ConsistentRead", "yes", "STRING_VALUE can not be converted to a Boolean"),
        ("ConsistentRead", 1, "NUMBER_VALUE can not be converted to a Boolean"),
        ("AttributesToGet", "a", "Expected list or null"),
        ("AttributesToGet", {}, "Start of structure or map found where not expected."),
        ("ExclusiveStartKey", "a", "Expected map or null"),
        ("ExclusiveStartKey", [], "Start of list found where not expected"),
        ("ExclusiveStartKey", {"a": "x"}, "Expected null"),
        ("ExclusiveStartKey", {"a": {"N": 5}}, "NUMBER_VALUE can not be converted to a String"),
        (
            "ExclusiveStartKey",
            {"a": {"L": [{"M": {"b": {"BOOL": "t"}}}]}},
            "STRING_VALUE can not be converted to a Boolean",
        ),
        ("ExclusiveStartKey", {"a": {"SS": "x"}}, "Expected list or null"),
        ("ExclusiveStartKey", {"a": {"B": 5}}, "NUMBER_VALUE can not be converted to a Blob"),
    ],
)
def test_query_members_of_the_wrong_type(member, value, message):
    assert serialization_message("Query", {"TableName": "abc", member: value}) == message


@pytest.mark.parametrize(
    "blob,message",
    [
        (
            "23456",
            "'23456' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes "
            "but found: 5",
        ),
        ("=+/=", "'=+/=' can not be converted to a Blob: Invalid Base64 character: '='"),
        ("+/+=", "'+/+=' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"),
    ],
)
def test_bad_base64(blob, message):
    assert serialization_message("PutItem", {"TableName": "abc", "Item": {"a": {"B": blob}}}) == message


def test_wrong_type_wins_over_constraint_errors_reported_earlier():
    assert (
        serialization_message("PutItem", {"TableName": "a;", "Item": {"a": {"S": 1}}})
        == "NUMBER_VALUE can not be converted to a String"
    )


def test_body_that_is_not_an_object():
    assert serialization_message("PutItem", []) == "Start of list found where not expected"
    err = rejected("PutItem", "x", wire=True)
    assert isinstance(err, E.SerializationException) and err.message is None


def test_wire_mode_decodes_blobs_and_drops_nulls_and_unknown_members():
    body = {
        "TableName": "abc",
        "Bogus": 1,
        "ReturnValues": None,
        "Item": {
            "a": {"B": "AAE="},
            "s": {"BS": ["YQ==", "Yg=="]},
            "m": {"M": {"x": {"B": "eA==", "zz": 1}}},
            "l": {"L": [None, {"S": "y"}]},
        },
    }
    out = validate_request("PutItem", body, wire=True)
    assert out is body
    assert body == {
        "TableName": "abc",
        "Item": {
            "a": {"B": b"\x00\x01"},
            "s": {"BS": [b"a", b"b"]},
            "m": {"M": {"x": {"B": b"x"}}},
            "l": {"L": [{"S": "y"}]},
        },
    }


def test_wire_mode_truncates_a_decimal_where_an_integer_goes():
    body = {"TableName": "abc", "Limit": 1.5}
    validate_request("Scan", body, wire=True)
    assert body["Limit"] == 1 and type(body["Limit"]) is int


def test_in_process_nulls_count_as_absent():
    assert validation_message(
        "GetItem", {"TableName": None, "Key": {"a": {"S": "x"}}}
    ) == "1 validation error detected: " + v(None, "tableName", NOT_NULL)


# =========================================================================================================
# validation/rules.py
# =========================================================================================================


def test_rule_registry_runs_in_order_and_stops_at_the_first():
    calls = []

    @rules.rule("TestOnlyOperation", order=70)
    def late(request):
        calls.append("late")

    @rules.rule("TestOnlyOperation", order=5)
    def early(request):
        calls.append("early")
        if request.get("fail"):
            raise E.ValidationException("first")

    rules.check_rules("TestOnlyOperation", {})
    assert calls == ["early", "late"]
    with pytest.raises(E.ValidationException, match="^first$"):
        rules.check_rules("TestOnlyOperation", {"fail": True})
    assert rules.rules_for("TestOnlyOperation") == [early, late]


@pytest.mark.parametrize(
    "op,request_,message",
    [
        (
            "PutItem",
            {"TableName": "abc", "Item": {}, "ConditionExpression": "a = :a", "Expected": {}},
            "Can not use both expression and non-expression parameters in the same request: "
            "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}",
        ),
        (
            "UpdateItem",
            {"UpdateExpression": "SET a = :a", "AttributeUpdates": {}, "Expected": {}},
            "Can not use both expression and non-expression parameters in the same request: "
            "Non-expression parameters: {AttributeUpdates, Expected} "
            "Expression parameters: {UpdateExpression}",
        ),
        (
            "GetItem",
            {"ExpressionAttributeNames": {"#a": "a"}},
            "ExpressionAttributeNames can only be specified when using expressions",
        ),
        (
            "DeleteItem",
            {"ExpressionAttributeValues": {":a": {"S": "a"}}},
            "ExpressionAttributeValues can only be specified when using expressions: "
            "ConditionExpression is null",
        ),
        (
            "UpdateItem",
            {"ExpressionAttributeValues": {":a": {"S": "a"}}},
            "ExpressionAttributeValues can only be specified when using expressions: "
            "UpdateExpression and ConditionExpression are null",
        ),
        ("PutItem", {"ReturnValues": "ALL_NEW"}, "ReturnValues can only be ALL_OLD or NONE"),
        (
            "Query",
            {"TableName": "abc"},
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ),
        (
            "Scan",
            {"Segment": 1},
            "The TotalSegments parameter is required but was not present in the request when "
            "Segment parameter is present",
        ),
        (
            "Scan",
            {"Segment": 3, "TotalSegments": 2},
            "The Segment parameter is zero-based and must be less than "
            "parameter TotalSegments: Segment: 3 is not less than TotalSegments: 2",
        ),
        (
            "PutItem",
            {"ConditionExpression": "x", "ExpressionAttributeNames": {}},
            "ExpressionAttributeNames must not be empty",
        ),
        (
            "PutItem",
            {"ConditionExpression": "x", "ExpressionAttributeNames": {"a": "b"}},
            'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"',
        ),
        (
            "Query",
            {"KeyConditionExpression": "x", "ExpressionAttributeValues": {"a": {"S": "b"}}},
            'ExpressionAttributeValues contains invalid key: Syntax error; key: "a"',
        ),
        (
            "TransactWriteItems",
            {"TransactItems": [{}]},
            "The action or operation requested is invalid. Verify that the action is typed correctly.",
        ),
    ],
)
def test_cross_field_rules(op, request_, message):
    with pytest.raises(E.ValidationException) as info:
        rules.check_rules(op, request_)
    assert info.value.message == message


def test_key_conditions_may_go_with_filter_expression():
    rules.check_rules(
        "Query",
        {
            "KeyConditions": {"a": {}},
            "FilterExpression": "b = :b",
            "ExpressionAttributeValues": {":b": {"S": "x"}},
        },
    )


# =========================================================================================================
# The shipped shapes
# =========================================================================================================


@needs_botocore
def test_service_shapes_json_is_current_for_the_installed_botocore():
    from pyddb.validation import gen_shapes

    assert gen_shapes.main(["--check"]) == 0
