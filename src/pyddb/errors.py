"""DynamoDB's error types: one class per type, with its wire name, HTTP status and DynamoDB's message texts.

Every rejection pyddb makes is one of these. `api` raises them; the in-process client turns them into boto3's
`ClientError`s (`client_errors.py`); the HTTP server renders `to_wire()` as the JSON 1.0 error envelope.

WIRE FORMAT (what `to_wire()` returns: the HTTP status and the JSON body DynamoDB sends)
    400 {"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
         "message": "Requested resource not found: Table: t not found"}
    - `__type` is `<namespace>#<code>`. The namespace is not the same for every type:
        com.amazonaws.dynamodb.v20120810  the types in DynamoDB's model (ResourceNotFoundException, ...)
        com.amazon.coral.validate         ValidationException
        com.amazon.coral.service          SerializationException, UnknownOperationException and the
                                          authentication errors (MissingAuthenticationToken, signatures, ...)
        com.amazon.coral.availability     ThrottlingException (as sent before it was modelled)
      Sources: AWS DynamoDB developer guide, "Error handling with DynamoDB" (Programming.Errors: the
      ResourceNotFoundException example body); dynalite index.js and test/helpers.js (the coral namespaces,
      recorded against DynamoDB); botocore parsers.py keeps only what follows '#', so clients see the code.
    - the message key is "message" for most types and "Message" for some:
      IdempotentParameterMismatchException, TransactionCanceledException, TransactionInProgressException
      (their members in botocore's model) and SerializationException (dynalite test/helpers.js
      assertSerialization: `Message`). botocore reads either.
    - a type without a message (UnknownOperationException, a SerializationException for a body that is not
      JSON) has no message key at all (dynalite index.js).
    - extra members: ConditionalCheckFailedException "Item" (ReturnValuesOnConditionCheckFailure=ALL_OLD),
      TransactionCanceledException "CancellationReasons" (sent before "Message": boto/boto3#2657 and
      pynamodb/PynamoDB#1144 show DynamoDB's raw body), the throughput errors "ThrottlingReasons".

HTTP STATUS: 400 for every client error, 500 for InternalServerError, 503 for ServiceUnavailable
(Programming.Errors: "HTTP status code 400" / "5xx" lists; ThrottlingException and
ProvisionedThroughputExceededException are 400s).

INVARIANTS
    (E1) `code` is the class name and the string after '#' in `__type`; `client.exceptions.<code>` is its
         class.
    (E2) a message text is written once, here, next to the source it was checked against; callers use the
         named constructors (`ResourceNotFoundException.table(name, op)`), never spelling texts themselves.
    (E3) `to_wire()` never fails and never returns a body without `__type`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Optional, Tuple

DYNAMODB_NS = "com.amazonaws.dynamodb.v20120810"
VALIDATE_NS = "com.amazon.coral.validate"
SERVICE_NS = "com.amazon.coral.service"
AVAILABILITY_NS = "com.amazon.coral.availability"

__all__ = ["DynamoDBError", "ERROR_CLASSES", "error_class", "cancellation_reason"]


class DynamoDBError(Exception):
    """Base of every DynamoDB error. `code`, `message`, `http_status`; `to_wire()` -> (status, body)."""

    code: ClassVar[str] = "DynamoDBError"
    http_status: ClassVar[int] = 400
    namespace: ClassVar[str] = DYNAMODB_NS
    message_key: ClassVar[str] = "message"
    default_message: ClassVar[Optional[str]] = None
    retryable: ClassVar[bool] = False
    modelled: ClassVar[bool] = False  # an error shape of botocore's DynamoDB/Streams model

    def __init__(self, message: Optional[str] = None, **extra: Any) -> None:
        self.message = self.default_message if message is None else message
        self.extra: Dict[str, Any] = extra  # wire members besides the message, e.g. Item, CancellationReasons
        super().__init__(self.message if self.message is not None else self.code)

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "code" not in cls.__dict__:
            cls.code = cls.__name__

    @property
    def type_name(self) -> str:
        return "%s#%s" % (self.namespace, self.code)

    def to_wire(self) -> Tuple[int, Dict[str, Any]]:
        """(HTTP status, JSON body) exactly as DynamoDB's JSON 1.0 protocol sends this error."""
        body: Dict[str, Any] = {"__type": self.type_name}
        body.update(self._wire_before_message())
        if self.message is not None:
            body[self.message_key] = self.message
        body.update(self._wire_after_message())
        return self.http_status, body

    def _wire_before_message(self) -> Dict[str, Any]:
        return {}

    def _wire_after_message(self) -> Dict[str, Any]:
        return dict(self.extra)

    def __repr__(self) -> str:
        return "%s(%r)" % (type(self).__name__, self.message)

    def __reduce__(self):  # picklable across processes (the server may use them)
        return _rebuild, (type(self).__name__, self.message, self.extra)


def _rebuild(name: str, message: Optional[str], extra: Dict[str, Any]) -> DynamoDBError:
    cls = ERROR_CLASSES[name]
    err = DynamoDBError.__new__(cls)
    DynamoDBError.__init__(err, message, **extra)
    return err


# ---------------------------------------------------------------------------------------------------------
# Common errors that DynamoDB returns but its model does not describe
# ---------------------------------------------------------------------------------------------------------


class ValidationException(DynamoDBError):
    """A request that breaks a constraint. Source of the texts: see each constructor."""

    namespace = VALIDATE_NS

    @classmethod
    def item_too_large(cls) -> "ValidationException":
        # dynalite test/putItem.js and test/batchWriteItem.js ("should return ValidationException if item is
        # too big"), validations/putItem.js
        return cls("Item size has exceeded the maximum allowed size")

    @classmethod
    def update_item_too_large(cls) -> "ValidationException":
        # UpdateItem / TransactWriteItems Update: dynalite test/transactWriteItem.js "item too large"
        return cls("Item size to update has exceeded the maximum allowed size")

    @classmethod
    def invalid_parameters(cls, detail: str) -> "ValidationException":
        # the prefix DynamoDB puts before most semantic checks: dynalite test/createTable.js, test/putItem.js
        return cls("One or more parameter values were invalid: " + detail)

    @classmethod
    def detected(cls, errors: List[str]) -> "ValidationException":
        # "1 validation error detected: ...", "3 validation errors detected: a; b; c" (dynalite
        # validations/index.js checkValidations, recorded against DynamoDB in test/putItem.js)
        n = len(errors)
        return cls("%d validation error%s detected: %s" % (n, "" if n == 1 else "s", "; ".join(errors)))

    @classmethod
    def mixed_expression_parameters(
        cls, non_expression: List[str], expression: List[str]
    ) -> "ValidationException":
        # dynalite validations/index.js validateExpressionParams
        return cls(
            "Can not use both expression and non-expression parameters in the same request: "
            "Non-expression parameters: {%s} Expression parameters: {%s}"
            % (", ".join(non_expression), ", ".join(expression))
        )

    @classmethod
    def return_values_put(cls) -> "ValidationException":
        # PutItem with UPDATED_OLD / ALL_NEW / UPDATED_NEW: dynalite test/putItem.js
        return cls("ReturnValues can only be ALL_OLD or NONE")

    @classmethod
    def key_schema_mismatch(cls) -> "ValidationException":
        # dynalite test/transactWriteItem.js "key type mismatch", test/getItem.js
        return cls("The provided key element does not match the schema")

    @classmethod
    def invalid_transact_action(cls) -> "ValidationException":
        # a TransactItems member with none of Put/Update/Delete/ConditionCheck:
        # dynalite test/transactWriteItem.js
        return cls("The action or operation requested is invalid. Verify that the action is typed correctly.")

    @classmethod
    def duplicate_batch_keys(cls) -> "ValidationException":
        # BatchWriteItem with a put and a delete of the same key: dynalite test/batchWriteItem.js
        return cls("Provided list of item keys contains duplicates")


class SerializationException(DynamoDBError):
    """The body is not JSON, or a member has the wrong JSON type. No message for a body that is not JSON.

    The wrong-type texts come from the JSON reader of AWS's service framework (Coral), shared by DynamoDB and
    other JSON-1.0 services. Today's reader names the JSON token: "NUMBER_VALUE can not be converted to a
    String" (brief of this task; aarondfrancis/sidecar#148; an Athena emulator that measured 46 malformed
    requests against Athena in 2026, which also gives "STRING_VALUE can not be converted to an Integer",
    "TRUE_VALUE can not be converted to a String", "Expected list or null", "Expected null"). Two DynamoDB
    users quote it as "NUMBER_VALUE cannot be converted to String" (localstack/localstack#9412,
    pynamodb/PynamoDB#1285), possibly paraphrased: not confirmed byte for byte for DynamoDB. The older reader
    (dynalite test/helpers.js, recorded ~2013-2019) said "class java.lang.Short can not be converted to an
    String"; the structural texts below are the same in both.
    """

    namespace = SERVICE_NS
    message_key = "Message"  # dynalite test/helpers.js assertSerialization: {__type, Message}

    @classmethod
    def not_json(cls) -> "SerializationException":
        return cls(None)  # dynalite index.js: {__type} only

    @classmethod
    def cannot_convert(cls, token: str, target: str) -> "SerializationException":
        """token: NUMBER_VALUE, STRING_VALUE, TRUE_VALUE, FALSE_VALUE; target: 'a String', 'an Integer'..."""
        return cls("%s can not be converted to %s" % (token, target))

    @classmethod
    def start_of_list(cls) -> "SerializationException":
        return cls("Start of list found where not expected")  # dynalite test/helpers.js

    @classmethod
    def start_of_structure(cls) -> "SerializationException":
        return cls("Start of structure or map found where not expected.")  # (with the period) same source

    @classmethod
    def expected_list(cls) -> "SerializationException":
        return cls("Expected list or null")  # same source

    @classmethod
    def expected_map(cls) -> "SerializationException":
        return cls("Expected map or null")  # same source

    @classmethod
    def expected_structure(cls) -> "SerializationException":
        return cls("Expected null")  # same source; aws/aws-sdk-js#44 (a string where a structure goes)

    @classmethod
    def bad_base64(cls, value: str, detail: str) -> "SerializationException":
        # dynalite test/helpers.js: "'23456' can not be converted to a Blob: Base64 encoded length is expected
        # a multiple of 4 bytes but found: 5", "... Invalid Base64 character: '='",
        # "... Invalid last non-pad Base64 character dectected" (sic)
        return cls("'%s' can not be converted to a Blob: %s" % (value, detail))


class UnknownOperationException(DynamoDBError):
    """X-Amz-Target names no operation. No message (dynalite index.js: {__type} only)."""

    namespace = SERVICE_NS


class MissingAuthenticationTokenException(DynamoDBError):
    namespace = SERVICE_NS
    # dynalite index.js (no Authorization header); the developer guide's generic text is
    # "Request must contain a valid (registered) AWS Access Key ID."
    default_message = "Request is missing Authentication Token"


class UnrecognizedClientException(DynamoDBError):
    namespace = SERVICE_NS
    default_message = (
        "The security token included in the request is invalid."  # dynalite index.js (unknown key id)
    )


class InvalidSignatureException(DynamoDBError):
    namespace = SERVICE_NS
    # dynalite index.js (signature mismatch; DynamoDB appends the canonical string and string-to-sign after
    # "\n\n", see `signature_mismatch`); also quoted in "DynamoDB Applied Design Patterns", ch. 6
    default_message = (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. "
        "Consult the service documentation for details."
    )

    @classmethod
    def signature_mismatch(
        cls, canonical_request: Optional[str] = None, string_to_sign: Optional[str] = None
    ) -> "InvalidSignatureException":
        msg = cls.default_message
        if canonical_request is not None and string_to_sign is not None:
            # dynalite index.js comment recording DynamoDB's full text
            msg += (
                "\n\nThe Canonical String for this request should have been\n'%s'\n\n"
                "The String-to-Sign should have been\n'%s'\n" % (canonical_request, string_to_sign)
            )
        return cls(msg)

    @classmethod
    def expired(cls, signed_at: str, earliest: str, now: str) -> "InvalidSignatureException":
        # dynalite index.js: "Signature expired: 20130301T000000Z is now earlier than 20130609T094515Z
        # (20130609T100015Z - 15 min.)"
        return cls("Signature expired: %s is now earlier than %s (%s - 15 min.)" % (signed_at, earliest, now))


class IncompleteSignatureException(DynamoDBError):
    namespace = SERVICE_NS
    default_message = "The request signature does not conform to AWS standards."  # Programming.Errors

    @classmethod
    def missing_parts(
        cls, missing: List[str], has_date: bool, authorization: str
    ) -> "IncompleteSignatureException":
        # dynalite index.js:
        # "Authorization header requires 'Credential' parameter. ... Authorization=<header>"
        msg = "".join("Authorization header requires '%s' parameter. " % m for m in missing)
        if not has_date:
            msg += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        return cls(msg + "Authorization=" + authorization)


class AccessDeniedException(DynamoDBError):
    namespace = SERVICE_NS  # not confirmed: the namespace of the other authentication errors
    default_message = "Access denied."  # Programming.Errors

    @classmethod
    def not_authorized(cls, principal_arn: str, action: str, resource: str) -> "AccessDeniedException":
        # dynalite test/listTagsOfResource.js: "User: arn:aws:iam::...:... is not authorized to perform:
        # dynamodb:ListTagsOfResource on resource: abcd"
        return cls(
            "User: %s is not authorized to perform: dynamodb:%s on resource: %s"
            % (principal_arn, action, resource)
        )


class ServiceUnavailable(DynamoDBError):
    """HTTP 503. Programming.Errors: "Service Unavailable (HTTP 503) DynamoDB is currently unavailable."
    The code and namespace on the wire are not confirmed."""

    namespace = AVAILABILITY_NS
    http_status = 503
    retryable = True
    default_message = "DynamoDB is currently unavailable. (This should be a temporary state.)"


# ---------------------------------------------------------------------------------------------------------
# The error shapes of botocore's DynamoDB model (and DynamoDB Streams')
# ---------------------------------------------------------------------------------------------------------


class _Modelled(DynamoDBError):
    modelled = True


class ConditionalCheckFailedException(_Modelled):
    default_message = "The conditional request failed"  # dynalite test/helpers.js assertConditional

    def __init__(
        self, message: Optional[str] = None, item: Optional[Dict[str, Any]] = None, **extra: Any
    ) -> None:
        if item is not None:
            extra["Item"] = item  # ReturnValuesOnConditionCheckFailure=ALL_OLD and the item exists
        super().__init__(message, **extra)

    @property
    def item(self) -> Optional[Dict[str, Any]]:
        return self.extra.get("Item")


def cancellation_reason(
    code: str = "None", message: Optional[str] = None, item: Optional[Dict[str, Any]] = None
) -> Dict[str, Any]:
    """One entry of CancellationReasons, keys in DynamoDB's order: {"Code", "Item"?, "Message"?}
    (boto/boto3#2657 shows `{"Code":"ConditionalCheckFailed","Item":{...},"Message":"The conditional request
    failed"}` and `{"Code":"None"}` for an action that did not fail)."""
    r: Dict[str, Any] = {"Code": code}
    if item is not None:
        r["Item"] = item
    if message is not None:
        r["Message"] = message
    return r


class TransactionCanceledException(_Modelled):
    message_key = "Message"

    def __init__(
        self,
        message: Optional[str] = None,
        cancellation_reasons: Optional[List[Dict[str, Any]]] = None,
        **extra: Any,
    ) -> None:
        reasons = list(cancellation_reasons or [])
        if message is None:
            message = self.message_for(reasons)
        extra["CancellationReasons"] = reasons
        super().__init__(message, **extra)

    @staticmethod
    def message_for(reasons: List[Dict[str, Any]]) -> str:
        # "Transaction cancelled, please refer cancellation reasons for specific reasons
        #  [None, ConditionalCheckFailed]" (one text, shown on two lines)
        # aws/aws-sdk-js#2464, sensedeep/dynamodb-onetable#275, aws/aws-sdk-net#1292 (raw DynamoDB bodies)
        return (
            "Transaction cancelled, please refer cancellation reasons for specific reasons [%s]"
            % ", ".join(r.get("Code", "None") for r in reasons)
        )

    @property
    def cancellation_reasons(self) -> List[Dict[str, Any]]:
        return self.extra["CancellationReasons"]

    def _wire_before_message(self) -> Dict[str, Any]:
        return {"CancellationReasons": self.cancellation_reasons}

    def _wire_after_message(self) -> Dict[str, Any]:
        return {k: v for k, v in self.extra.items() if k != "CancellationReasons"}


# Texts of the codes inside CancellationReasons (aws/aws-sdk-net#1292, boto/boto3#2657)
CONDITIONAL_CHECK_FAILED_REASON = "The conditional request failed"


class ResourceNotFoundException(_Modelled):
    default_message = "Requested resource not found"  # Programming.Errors ("Requested resource not found.")

    # Operations that name the table in the text. dynalite tests recorded against DynamoDB:
    # test/describeTable.js, test/deleteTable.js, test/updateTable.js, test/describeTimeToLive.js,
    # test/updateTimeToLive.js: "Requested resource not found: Table: <name> not found". Item and batch
    # operations (getItem, putItem, batchWriteItem, transactWriteItem tests) say
    # "Requested resource not found".
    TABLE_NAMED_OPERATIONS = frozenset(
        {
            "DescribeTable",
            "DeleteTable",
            "UpdateTable",
            "DescribeTimeToLive",
            "UpdateTimeToLive",
        }
    )

    @classmethod
    def table(cls, name: str, operation: Optional[str] = None) -> "ResourceNotFoundException":
        if operation in cls.TABLE_NAMED_OPERATIONS:
            return cls("Requested resource not found: Table: %s not found" % name)
        return cls("Requested resource not found")

    @classmethod
    def resource_arn(cls, arn: str) -> "ResourceNotFoundException":
        # ListTagsOfResource / TagResource / UntagResource: dynalite test/listTagsOfResource.js
        # (DynamoDB's own spelling "ResourcArn")
        return cls("Requested resource not found: ResourcArn: %s not found" % arn)


class ResourceInUseException(_Modelled):
    default_message = "The resource which you are attempting to change is in use."  # Programming.Errors

    @classmethod
    def table_exists(cls, name: str) -> "ResourceInUseException":
        # CreateTable on an existing table: joshsymonds/Dynamoid#178 (DynamoDB's reply quoted),
        # moto models/__init__.py. (DynamoDB Local says "Cannot create preexisting table".)
        return cls("Table already exists: %s" % name)

    @classmethod
    def table_in_use(cls, name: str, status: str = "created") -> "ResourceInUseException":
        # dynalite test/deleteTable.js: "Attempt to change a resource which is still in use: Table is being
        # created: <name>" (confirmed for "created"; "updated"/"deleted" follow the same form, not confirmed)
        return cls(
            "Attempt to change a resource which is still in use: Table is being %s: %s" % (status, name)
        )


class ProvisionedThroughputExceededException(_Modelled):
    retryable = True
    # mifi/dynamodump#20, quintilesims/layer0#229 (DynamoDB's text as clients logged it)
    default_message = (
        "The level of configured provisioned throughput for the table was exceeded. "
        "Consider increasing your provisioning level with the UpdateTable API."
    )

    @classmethod
    def index(cls) -> "ProvisionedThroughputExceededException":
        # grailbio/reflow#101, exercism/website#949
        return cls(
            "The level of configured provisioned throughput for one or more global secondary indexes "
            "of the table was exceeded. Consider increasing your provisioning level for the "
            "under-provisioned global secondary indexes with the UpdateTable API"
        )


class RequestLimitExceeded(_Modelled):
    retryable = True
    default_message = (
        "Throughput exceeds the current throughput limit for your account. "
        "To request a limit increase, contact AWS Support at https://aws.amazon.com/support."
    )  # Programming.Errors


class ThrottlingException(_Modelled):
    retryable = True
    # Programming.Errors. botocore's model now lists it in DynamoDB's namespace; older DynamoDB sent
    # com.amazon.coral.availability#ThrottlingException (dynalite test/helpers.js). We send the modelled one.
    default_message = "Rate of requests exceeds the allowed throughput."


class ItemCollectionSizeLimitExceededException(_Modelled):
    retryable = True
    default_message = "Collection size exceeded."  # Programming.Errors


class LimitExceededException(_Modelled):
    retryable = True
    default_message = "Too many operations for a given subscriber."  # Programming.Errors


class InternalServerError(_Modelled):
    http_status = 500
    retryable = True
    default_message = "Internal server error"  # not confirmed: Programming.Errors gives only the status


class IdempotentParameterMismatchException(_Modelled):
    message_key = "Message"  # botocore model member


class TransactionInProgressException(_Modelled):
    message_key = "Message"  # botocore model member


class TransactionConflictException(_Modelled):
    pass


class ReplicatedWriteConflictException(_Modelled):
    pass


class DuplicateItemException(_Modelled):
    pass


class IndexNotFoundException(_Modelled):
    pass


class PolicyNotFoundException(_Modelled):
    pass


class BackupInUseException(_Modelled):
    pass


class BackupNotFoundException(_Modelled):
    pass


class ContinuousBackupsUnavailableException(_Modelled):
    pass


class PointInTimeRecoveryUnavailableException(_Modelled):
    pass


class InvalidRestoreTimeException(_Modelled):
    pass


class InvalidExportTimeException(_Modelled):
    pass


class ExportConflictException(_Modelled):
    pass


class ExportNotFoundException(_Modelled):
    pass


class ImportConflictException(_Modelled):
    pass


class ImportNotFoundException(_Modelled):
    pass


class GlobalTableAlreadyExistsException(_Modelled):
    pass


class GlobalTableNotFoundException(_Modelled):
    pass


class ReplicaAlreadyExistsException(_Modelled):
    pass


class ReplicaNotFoundException(_Modelled):
    pass


class TableAlreadyExistsException(_Modelled):
    pass


class TableInUseException(_Modelled):
    pass


class TableNotFoundException(_Modelled):
    pass


# DynamoDB Streams (botocore data/dynamodbstreams); namespace on the wire not confirmed
class ExpiredIteratorException(_Modelled):
    pass


class TrimmedDataAccessException(_Modelled):
    pass


def _collect() -> Dict[str, type]:
    out: Dict[str, type] = {}
    stack = list(DynamoDBError.__subclasses__())
    while stack:
        c = stack.pop()
        stack.extend(c.__subclasses__())
        if not c.__name__.startswith("_"):
            out[c.code] = c
    return dict(sorted(out.items()))


ERROR_CLASSES: Dict[str, type] = _collect()
"""code -> class, for every DynamoDB error type pyddb knows."""


def error_class(code: str) -> type:
    """The class for an error code; KeyError for an unknown code."""
    return ERROR_CLASSES[code]
