"""boto3-style exceptions for the in-process client: a `DynamoDBError` becomes what botocore would raise.

Code written for boto3 catches DynamoDB errors in three ways, and each works unchanged against pyddb:

    except botocore.exceptions.ClientError as e:  e.response["Error"]["Code"] == "ConditionalCheckFailed..."
    except client.exceptions.ConditionalCheckFailedException as e: e.response["Item"]
    except Exception as e: str(e) == "An error occurred (ConditionalCheckFailedException) when calling the
                                      PutItem operation: The conditional request failed"

HOW BOTOCORE DOES IT (read from botocore's errorfactory.py, exceptions.py, parsers.py, endpoint.py, client.py)
    - `ClientExceptionsFactory` makes, once per service, one class per error shape of the model:
      `type(name, (ClientError,), {})`, gathers them as attributes of a `<Service>Exceptions` object
      (a `BaseClientExceptions`, which also carries `ClientError` and `from_code(code)`), and exposes it as
      `client.exceptions`. `client._make_api_call` raises `client.exceptions.from_code(code)(response, op)`,
      plain `ClientError` for a code the model does not list.
    - `ClientError(response, operation_name)` formats
      "An error occurred ({Code}) when calling the {op} operation{retry_info}: {Message}", and keeps
      `.response` and `.operation_name`.
    - the response is {"Error": {"Message", "Code"}, "ResponseMetadata": {"RequestId", "HTTPStatusCode",
      "HTTPHeaders", "RetryAttempts"}}; for a modelled error the members of the error shape are added at the
      top level as the body had them ("message" or "Message", "Item", "CancellationReasons", ...).
      Error.Message is body["message"] or body["Message"], or "" when the body has neither.

WHAT PYDDB DOES
    The classes are made once per process for every code in `pyddb.errors.ERROR_CLASSES` (a superset of
    boto3's: boto3 has no `client.exceptions.ValidationException`, pyddb does; both raise a ClientError whose
    Code is "ValidationException"). They derive from botocore's ClientError when botocore is importable, and
    otherwise from a local `ClientError` with the same constructor, attributes, str() and pickling.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from email.utils import formatdate
from typing import Any, Dict, Optional

from pyddb.errors import ERROR_CLASSES, DynamoDBError
from pyddb.requestids import new_request_id  # noqa: F401  (also pyddb.client_errors.new_request_id)

try:  # botocore is optional: it comes with boto3, which pyddb does not need
    from botocore.errorfactory import BaseClientExceptions as _BaseClientExceptions
    from botocore.exceptions import ClientError

    HAVE_BOTOCORE = True
except ImportError:  # pragma: no cover - exercised by the tests through _LocalClientError
    HAVE_BOTOCORE = False
    _BaseClientExceptions = None
    ClientError = None  # type: ignore[assignment,misc]


class _LocalClientError(Exception):
    """botocore.exceptions.ClientError's behaviour, for when botocore is not installed."""

    MSG_TEMPLATE = (
        "An error occurred ({error_code}) when calling the {operation_name} "
        "operation{retry_info}: {error_message}"
    )

    def __init__(self, error_response: Dict[str, Any], operation_name: str) -> None:
        retry_info = self._get_retry_info(error_response)
        error = error_response.get("Error", {})
        msg = self.MSG_TEMPLATE.format(
            error_code=error.get("Code", "Unknown"),
            error_message=error.get("Message", "Unknown"),
            operation_name=operation_name,
            retry_info=retry_info,
        )
        super().__init__(msg)
        self.response = error_response
        self.operation_name = operation_name

    @staticmethod
    def _get_retry_info(response: Dict[str, Any]) -> str:
        meta = response.get("ResponseMetadata") or {}
        if meta.get("MaxAttemptsReached", False) and "RetryAttempts" in meta:
            return " (reached max retries: %s)" % meta["RetryAttempts"]
        return ""

    def __reduce__(self):
        # the per-code subclasses are made at run time; like botocore, pickle them as the base class
        return _LocalClientError, (self.response, self.operation_name)


class _LocalBaseClientExceptions:
    """botocore.errorfactory.BaseClientExceptions' behaviour, for when botocore is not installed."""

    ClientError = _LocalClientError

    def __init__(self, code_to_exception: Dict[str, type]) -> None:
        self._code_to_exception = code_to_exception

    def from_code(self, error_code: str) -> type:
        return self._code_to_exception.get(error_code, self.ClientError)

    def __getattr__(self, name: str):
        names = [c.__name__ for c in self._code_to_exception.values()]
        raise AttributeError(
            "%s object has no attribute %s. Valid exceptions are: %s" % (self, name, ", ".join(names))
        )


if not HAVE_BOTOCORE:
    ClientError = _LocalClientError  # type: ignore[misc]
    _BaseClientExceptions = _LocalBaseClientExceptions


def _make_classes(base: type) -> Dict[str, type]:
    return {code: type(code, (base,), {"__module__": __name__}) for code in ERROR_CLASSES}


_CODE_TO_CLASS: Dict[str, type] = _make_classes(ClientError)

# `client.exceptions`' class: one attribute per code plus ClientError and from_code(), like botocore's
# DynamoDBExceptions (errorfactory.ClientExceptionsFactory._create_client_exceptions)
Exceptions = type("DynamoDBExceptions", (_BaseClientExceptions,), dict(_CODE_TO_CLASS))
Exceptions.__module__ = __name__
Exceptions.__doc__ = (
    "The `client.exceptions` of a pyddb client: `client.exceptions.<Code>` and `.ClientError`."
)


def make_exceptions() -> Any:
    """A fresh `client.exceptions` object. All share the classes: one client's class catches another's."""
    return Exceptions(dict(_CODE_TO_CLASS))


EXCEPTIONS = make_exceptions()


def exception_class(code: str) -> type:
    """The ClientError subclass raised for `code` (plain ClientError for a code pyddb does not know)."""
    return _CODE_TO_CLASS.get(code, ClientError)


def _json_default(o: Any) -> Any:
    if isinstance(o, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(o)).decode("ascii")
    raise TypeError("not JSON serializable: %r" % type(o).__name__)


def error_response(err: DynamoDBError, request_id: Optional[str] = None) -> Dict[str, Any]:
    """The `response` dict botocore builds for this error (see the module docstring)."""
    status, body = err.to_wire()
    rid = request_id or new_request_id()
    payload = json.dumps(body, separators=(",", ":"), default=_json_default).encode("utf-8")
    response: Dict[str, Any] = {
        "Error": {"Message": err.message if err.message is not None else "", "Code": err.code},
        "ResponseMetadata": {
            "RequestId": rid,
            "HTTPStatusCode": status,
            "HTTPHeaders": {
                "server": "Server",
                "date": formatdate(time.time(), usegmt=True),
                "content-type": "application/x-amz-json-1.0",
                "content-length": str(len(payload)),
                "connection": "keep-alive",
                "x-amzn-requestid": rid,
                "x-amz-crc32": str(binascii.crc32(payload) & 0xFFFFFFFF),
            },
            "RetryAttempts": 0,
        },
    }
    if (
        err.modelled
    ):  # botocore's modelled parse adds the error shape's members (endpoint._add_modeled_error_fields)
        for k, v in body.items():
            if k != "__type":
                response[k] = v
    return response


def to_client_error(err: DynamoDBError, operation_name: str, request_id: Optional[str] = None) -> Exception:
    """The exception boto3 would raise for `err` in `operation_name`: an instance of ClientError and of
    `client.exceptions.<err.code>`, with `.response`, `.operation_name` and botocore's str()."""
    exc = exception_class(err.code)(error_response(err, request_id), operation_name)
    exc.__cause__ = err
    return exc
