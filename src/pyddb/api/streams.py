"""The DynamoDB Streams API: ListStreams, DescribeStream, GetShardIterator, GetRecords (model/streams.py).

Served in-process (`client.streams()` / `pyddb.connect_streams()`), over HTTP under the
`DynamoDBStreams_20120810` target prefix, and through pyddb.mock_dynamodb for boto3's `dynamodbstreams`.

Texts. Confirmed against the service (captures of its answers quoted in public issues):
    ResourceNotFoundException "Requested resource not found: Stream: <arn> not found" (DescribeStream and the
        other operations naming a stream): SeanRoy/lambda-maven-plugin#121, "Service: AmazonDynamoDBStreams"
        with a DynamoDB request id; DynamoDB Local says the same (localstack/localstack#1655)
    ResourceNotFoundException "Requested resource not found: Shard does not exist" (GetShardIterator):
        amazon-archives/logstash-input-dynamodb#4 (AmazonDynamoDBStreams), ironSource/node-dynamodb-stream#16
    ExpiredIteratorException "Shard iterator has expired" (GetRecords, 15 minutes after the iterator was
        issued): spring-attic/spring-integration-aws#59 (AmazonDynamoDBStreams; the Kinesis adapter in that
        trace keeps the service's message, awslabs/dynamodb-streams-kinesis-adapter
        AmazonServiceExceptionTransformer.buildErrorMessage); richytong/presidium matches the same text. The
        longer "Iterator expired. The iterator was created at time ..." is Kinesis's, not DynamoDB Streams'.
    TrimmedDataAccessException "The data you are trying to access has been trimmed": as SDK users quote it
        (ironSource/node-dynamodb-stream#13; botocore's model documents the member with a trailing period).
Known from DynamoDB Local only: ResourceNotFoundException "Invalid ShardId in ShardIterator" for an iterator
of a stream that is gone (localstack/localstack#12036, CoorpAcademy/serverless-plugins#154). pyddb's own, NOT
CONFIRMED (no capture found): "Invalid ShardIterator", "Invalid SequenceNumber", "SequenceNumber must be
provided for <type> shard iterator type", ListStreams' "Requested resource not found: Table: <name> not
found". docs/streams-ttl.md lists the same.
"""
from __future__ import annotations

import datetime as _datetime
from typing import Any, Dict

from pyddb.api import operation
from pyddb.errors import (ExpiredIteratorException, ResourceNotFoundException, TrimmedDataAccessException,
                          ValidationException)
from pyddb.model import streams as _streams


def _dt(ts: float) -> _datetime.datetime:
    return _datetime.datetime.fromtimestamp(ts, tz=_datetime.timezone.utc)


def _stream(model, arn: str) -> _streams.StreamInfo:
    info = model.streams.get(arn)
    if info is None:
        raise ResourceNotFoundException("Requested resource not found: Stream: %s not found" % arn)
    return info


@operation("ListStreams")
def list_streams(model, request: Dict[str, Any]) -> Dict[str, Any]:
    model.streams.expire()
    infos = model.streams.listing()
    name = request.get("TableName")
    if name is not None:
        if name not in model.tables and not any(i.table_name == name for i in infos):
            raise ResourceNotFoundException("Requested resource not found: Table: %s not found" % name)
        infos = [i for i in infos if i.table_name == name]
    start = request.get("ExclusiveStartStreamArn")
    if start is not None:
        arns = [i.arn for i in infos]
        infos = infos[arns.index(start) + 1:] if start in arns else infos
    limit = request.get("Limit") or 100
    out: Dict[str, Any] = {"Streams": [{"StreamArn": i.arn, "TableName": i.table_name, "StreamLabel": i.label}
                                       for i in infos[:limit]]}
    if len(infos) > limit:
        out["LastEvaluatedStreamArn"] = infos[limit - 1].arn
    return out


@operation("DescribeStream")
def describe_stream(model, request: Dict[str, Any]) -> Dict[str, Any]:
    info = _stream(model, request["StreamArn"])
    s = model.streams
    rng: Dict[str, Any] = {"StartingSequenceNumber": _streams.seq_of(s.first_lsn(info), 0)}
    if info.end_lsn is not None:
        rng["EndingSequenceNumber"] = _streams.seq_of(info.end_lsn, _streams.SEQ_SLOTS - 1)
    shards = [{"ShardId": info.shard_id, "SequenceNumberRange": rng}]
    if request.get("ExclusiveStartShardId") == info.shard_id:
        shards = []
    d = {
        "StreamArn": info.arn,
        "StreamLabel": info.label,
        "StreamStatus": "ENABLED" if info.end_lsn is None else "DISABLED",
        "StreamViewType": info.view_type,
        "CreationRequestDateTime": _dt(info.created),
        "TableName": info.table_name,
        "KeySchema": [dict(k) for k in info.key_schema],
        "Shards": shards,
    }
    return {"StreamDescription": d}


@operation("GetShardIterator")
def get_shard_iterator(model, request: Dict[str, Any]) -> Dict[str, Any]:
    info = _stream(model, request["StreamArn"])
    s = model.streams
    if request["ShardId"] != info.shard_id:
        raise ResourceNotFoundException("Requested resource not found: Shard does not exist")
    kind = request["ShardIteratorType"]
    seq = request.get("SequenceNumber")
    if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        if seq is None:
            raise ValidationException("SequenceNumber must be provided for %s shard iterator type" % kind)
        pos = _streams.parse_seq(seq)
        if pos is None:
            raise ValidationException("Invalid SequenceNumber")
        lsn, i = pos
        last = model.engine.last_lsn if info.end_lsn is None else info.end_lsn
        if lsn > last or lsn < info.start_lsn:
            raise ValidationException("Invalid SequenceNumber")
        if lsn < s.first_lsn(info):
            raise TrimmedDataAccessException("The data you are trying to access has been trimmed")
        if kind == "AFTER_SEQUENCE_NUMBER":
            i += 1
    elif kind == "TRIM_HORIZON":
        lsn, i = s.first_lsn(info), 0
    else:                                                   # LATEST
        lsn = (model.engine.last_lsn if info.end_lsn is None else info.end_lsn) + 1
        i = 0
    return {"ShardIterator": s.iterator(info, lsn, i)}


@operation("GetRecords")
def get_records(model, request: Dict[str, Any]) -> Dict[str, Any]:
    s = model.streams
    parsed = s.parse_iterator(request["ShardIterator"])
    if parsed is None:
        arn = request["ShardIterator"].partition("|")[0]
        if arn.startswith("arn:") and s.get(arn) is None and "/stream/" in arn:
            raise ResourceNotFoundException("Invalid ShardId in ShardIterator")
        raise ValidationException("Invalid ShardIterator")
    info, lsn, i, issued_ms = parsed
    now_ms = int(model.clock() * 1000)
    if now_ms - issued_ms > _streams.ITERATOR_TTL_S * 1000:
        raise ExpiredIteratorException("Shard iterator has expired")     # the service's text (module head)
    limit = request.get("Limit") or 1000
    records, nlsn, ni, closed = s.read(info, lsn, i, limit)
    for r in records:
        r["dynamodb"]["ApproximateCreationDateTime"] = _dt(r["dynamodb"]["ApproximateCreationDateTime"])
    out: Dict[str, Any] = {"Records": records}
    if not closed:
        out["NextShardIterator"] = s.iterator(info, nlsn, ni)
    return out
