"""The one exception `pyddb.types` raises for a value DynamoDB would reject.

`types/` is pure and sits below `pyddb.errors`, so it does not import it. Each rejection is an `InvalidValue`
carrying DynamoDB's exact message text and its error type (almost always ValidationException); `api` turns it
into the matching `pyddb.errors` class, e.g.::

    except InvalidValue as e:
        raise errors.by_type(e.error_type)(e.message)

Callers that wrap the text (ExpressionAttributeValues: "ExpressionAttributeValues contains invalid value:
<message> for key <key>") read `message` and build their own.
"""


class InvalidValue(ValueError):
    """A value DynamoDB rejects; `message` is DynamoDB's exact text."""

    __slots__ = ("message", "error_type")

    def __init__(self, message: str, error_type: str = "ValidationException"):
        super().__init__(message)
        self.message = message
        self.error_type = error_type
