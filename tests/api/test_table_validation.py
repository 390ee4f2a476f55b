"""CreateTable and UpdateTable rejections: the error type and DynamoDB's exact text, and nothing created or
changed. Sources of every text are cited in src/pyddb/validation/rules.py and src/pyddb/api/tables.py
(dynalite's tests recorded against DynamoDB, the ack-api-quirks lab's catalogue of live DynamoDB replies, the
nubo-db conformance suite); texts marked there as not confirmed are tested as pyddb's choice.
"""

from test_table_helpers import HASH, ON_DEMAND, PT, attrs, fails, gsi, invalid, lsi, table

V = "ValidationException"
NOT_DEFINED = (
    "Some index key attributes are not defined in AttributeDefinitions. "
    "Keys: [%s], AttributeDefinitions: [%s]"
)
SAME_NAME = (V, "Both the Hash Key and the Range Key element in the KeySchema have the same name")
FIRST_HASH = (V, "Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
SECOND_RANGE = (V, "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
NO_DEFINITION = (V, "Invalid KeySchema: Some index key attribute have no definition")
COUNT_MISMATCH = invalid(
    "Number of attributes in KeySchema does not exactly match number of attributes defined in "
    "AttributeDefinitions"
)


def ks(*pairs):
    return [{"AttributeName": n, "KeyType": t} for n, t in pairs]


def keys(definitions, key_schema):
    return {"AttributeDefinitions": definitions, "KeySchema": key_schema}


AB = attrs(("a", "S"), ("b", "S"))
TABLE_AB = keys(AB, ks(("a", "HASH"), ("b", "RANGE")))
ABC = attrs(("a", "S"), ("b", "S"), ("c", "S"))
TABLE_ABC = keys(ABC, ks(("a", "HASH"), ("b", "RANGE")))


def idx(name, key_schema, projection=None, **more):
    return {
        "IndexName": name,
        "KeySchema": key_schema,
        "Projection": {"ProjectionType": "ALL"} if projection is None else projection,
        **more,
    }


CREATE_CASES = {
    # ---- billing mode and throughput (dynalite validations/createTable.js, catalogue)
    "on_demand_with_throughput": (
        table(BillingMode="PAY_PER_REQUEST", ProvisionedThroughput=PT),
        invalid(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is "
            "PAY_PER_REQUEST"
        ),
    ),
    "provisioned_without_throughput": (
        {"TableName": "tbl", **HASH, "BillingMode": "PROVISIONED"},
        invalid(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"
        ),
    ),
    "no_billing_mode_no_throughput": (
        {"TableName": "tbl", **HASH},
        invalid(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"
        ),
    ),
    "read_out_of_bounds": (
        table(
            ProvisionedThroughput={"ReadCapacityUnits": 1000000000001, "WriteCapacityUnits": 1000000000001}
        ),
        (V, "Given value 1000000000001 for ReadCapacityUnits is out of bounds"),
    ),
    "write_out_of_bounds": (
        table(
            ProvisionedThroughput={"ReadCapacityUnits": 1000000000000, "WriteCapacityUnits": 1000000000001}
        ),
        (V, "Given value 1000000000001 for WriteCapacityUnits is out of bounds"),
    ),
    "over_the_table_maximum": (
        table(ProvisionedThroughput={"ReadCapacityUnits": 40001, "WriteCapacityUnits": 1}),
        (
            "LimitExceededException",
            "The requested ReadCapacityUnits, 40001, is above the per table maximum for the account in "
            "us-east-1. "
            "Per table maximum: 40000.",
        ),
    ),
    # ---- members the model no longer requires
    "no_key_schema": (
        {"TableName": "tbl", "AttributeDefinitions": AB, "ProvisionedThroughput": PT},
        (
            V,
            "1 validation error detected: Value null at 'keySchema' failed to satisfy constraint: Member "
            "must not be null",
        ),
    ),
    "no_key_schema_no_definitions": (
        {"TableName": "tbl", "ProvisionedThroughput": PT},
        (
            V,
            "2 validation errors detected: Value null at 'attributeDefinitions' failed to satisfy "
            "constraint: "
            "Member must not be null; Value null at 'keySchema' failed to satisfy constraint: Member must "
            "not be null",
        ),
    ),
    "three_key_elements": (  # conformance (live DynamoDB)
        table(keys=keys(ABC, ks(("a", "HASH"), ("b", "RANGE"), ("c", "RANGE")))),
        (
            V,
            "1 validation error detected: Value '[KeySchemaElement(attributeName=a, keyType=HASH), "
            "KeySchemaElement(attributeName=b, keyType=RANGE), KeySchemaElement(attributeName=c, "
            "keyType=RANGE)]' "
            "at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2",
        ),
    ),
    # ---- the table's key schema (dynalite test/createTable.js, conformance, catalogue)
    "keys_without_any_definition": (table(keys=keys([], ks(("a", "HASH"), ("a", "HASH")))), NO_DEFINITION),
    "same_key_twice_one_definition": (
        table(keys=keys(attrs(("pk", "S")), ks(("pk", "HASH"), ("pk", "RANGE")))),
        NO_DEFINITION,
    ),
    "more_keys_than_definitions": (
        table(keys=keys(attrs(("b", "S")), ks(("a", "HASH"), ("b", "RANGE")))),
        NO_DEFINITION,
    ),
    "key_not_defined": (
        table(keys=keys(attrs(("b", "S")), ks(("a", "HASH")))),
        invalid(NOT_DEFINED % ("a", "b")),
    ),
    "duplicate_definition": (
        table(keys=keys(attrs(("a", "S"), ("a", "N")), ks(("a", "HASH")))),
        (V, "Attribute Name is duplicated: a"),
    ),
    "hash_and_range_same_name": (table(keys=keys(AB, ks(("a", "HASH"), ("a", "HASH")))), SAME_NAME),
    "second_not_range": (table(keys=keys(AB, ks(("a", "HASH"), ("b", "HASH")))), SECOND_RANGE),
    "first_not_hash": (table(keys=keys(AB, ks(("a", "RANGE"), ("b", "HASH")))), FIRST_HASH),
    "both_range": (table(keys=keys(AB, ks(("a", "RANGE"), ("b", "RANGE")))), FIRST_HASH),
    "extra_definition_with_range": (table(keys=TABLE_ABC), COUNT_MISMATCH),
    "extra_definition_hash_only": (table(keys=keys(AB, ks(("a", "HASH")))), COUNT_MISMATCH),
    # ---- local secondary indexes (dynalite test/createTable.js, catalogue)
    "lsi_empty_list": (
        table(keys=keys(AB, ks(("a", "HASH"))), LocalSecondaryIndexes=[]),
        invalid("List of LocalSecondaryIndexes is empty"),
    ),
    "lsi_table_without_range": (
        table(keys=keys(AB, ks(("a", "HASH"))), LocalSecondaryIndexes=[idx("abc", ks(("c", "RANGE")), {})]),
        invalid(
            "Table KeySchema does not have a range key, which is required when specifying a "
            "LocalSecondaryIndex"
        ),
    ),
    "lsi_keys_not_defined": (
        table(keys=TABLE_AB, LocalSecondaryIndexes=[idx("abc", ks(("a", "HASH"), ("c", "RANGE")), {})]),
        invalid(NOT_DEFINED % ("a, c", "a, b")),
    ),
    "lsi_first_not_hash": (
        table(keys=TABLE_AB, LocalSecondaryIndexes=[idx("abc", ks(("a", "RANGE")), {})]),
        FIRST_HASH,
    ),
    "lsi_same_names": (
        table(keys=TABLE_AB, LocalSecondaryIndexes=[idx("abc", ks(("a", "HASH"), ("a", "RANGE")), {})]),
        SAME_NAME,
    ),
    "lsi_second_not_range": (
        table(keys=TABLE_AB, LocalSecondaryIndexes=[idx("abc", ks(("a", "HASH"), ("b", "HASH")), {})]),
        SECOND_RANGE,
    ),
    "lsi_without_range": (
        table(keys=TABLE_AB, LocalSecondaryIndexes=[idx("abc", ks(("b", "HASH")), {})]),
        invalid("Index KeySchema does not have a range key for index: abc"),
    ),
    "lsi_other_hash": (
        table(keys=TABLE_AB, LocalSecondaryIndexes=[idx("abc", ks(("b", "HASH"), ("a", "RANGE")), {})]),
        invalid(
            "Index KeySchema does not have the same leading hash key as table KeySchema for index: abc. "
            "index hash key: b, table hash key: a"
        ),
    ),
    "lsi_no_projection_type": (
        table(keys=TABLE_AB, LocalSecondaryIndexes=[idx("abc", ks(("a", "HASH"), ("b", "RANGE")), {})]),
        invalid("Unknown ProjectionType: null"),
    ),
    "lsi_non_key_without_type": (
        table(
            keys=TABLE_AB,
            LocalSecondaryIndexes=[
                idx("abc", ks(("a", "HASH"), ("b", "RANGE")), {"NonKeyAttributes": ["a"]})
            ],
        ),
        invalid("Unknown ProjectionType: null"),
    ),
    "lsi_non_key_with_all": (
        table(
            keys=TABLE_AB,
            LocalSecondaryIndexes=[
                idx(
                    "abc",
                    ks(("a", "HASH"), ("b", "RANGE")),
                    {"ProjectionType": "ALL", "NonKeyAttributes": ["a"]},
                )
            ],
        ),
        invalid("ProjectionType is ALL, but NonKeyAttributes is specified"),
    ),
    "lsi_non_key_with_keys_only": (
        table(
            keys=TABLE_AB,
            LocalSecondaryIndexes=[
                idx(
                    "abc",
                    ks(("a", "HASH"), ("b", "RANGE")),
                    {"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["a"]},
                )
            ],
        ),
        invalid("ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified"),
    ),
    "lsi_include_without_non_key": (
        table(
            keys=TABLE_AB,
            LocalSecondaryIndexes=[
                idx("abc", ks(("a", "HASH"), ("b", "RANGE")), {"ProjectionType": "INCLUDE"})
            ],
        ),
        invalid("ProjectionType is INCLUDE, but NonKeyAttributes is not specified"),
    ),
    "lsi_duplicate_non_key": (
        table(
            keys=TABLE_AB,
            LocalSecondaryIndexes=[
                idx(
                    "abc",
                    ks(("a", "HASH"), ("b", "RANGE")),
                    {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x", "x"]},
                )
            ],
        ),
        invalid("Duplicate element in NonKeyAttributes: x"),
    ),
    "lsi_duplicate_name": (
        table(keys=TABLE_AB, LocalSecondaryIndexes=[lsi("abc", "b", "a"), lsi("abc", "b", "a")]),
        invalid("Duplicate index name: abc"),
    ),
    "lsi_six": (
        table(keys=TABLE_AB, LocalSecondaryIndexes=[lsi("ab%d" % i, "b", "a") for i in range(6)]),
        invalid("Number of LocalSecondaryIndexes exceeds per-table limit of 5"),
    ),
    "lsi_three_key_elements": (
        table(
            keys=TABLE_ABC,
            LocalSecondaryIndexes=[idx("abc", ks(("a", "HASH"), ("b", "RANGE"), ("c", "RANGE")))],
        ),
        (
            V,
            "1 validation error detected: Value '[KeySchemaElement(attributeName=a, keyType=HASH), "
            "KeySchemaElement(attributeName=b, keyType=RANGE), KeySchemaElement(attributeName=c, "
            "keyType=RANGE)]' "
            "at 'localSecondaryIndexes.1.member.keySchema' failed to satisfy constraint: Member must have "
            "length "
            "less than or equal to 2",
        ),
    ),
    # ---- global secondary indexes
    "gsi_empty_list": (
        table(keys=keys(AB, ks(("a", "HASH"))), GlobalSecondaryIndexes=[]),
        invalid("List of GlobalSecondaryIndexes is empty"),
    ),
    "gsi_keys_not_defined": (
        table(
            keys=keys(AB, ks(("a", "HASH"))),
            GlobalSecondaryIndexes=[idx("abc", ks(("c", "RANGE")), {}, ProvisionedThroughput=PT)],
        ),
        invalid(NOT_DEFINED % ("c", "a, b")),
    ),
    "gsi_first_not_hash": (
        table(
            keys=TABLE_AB,
            GlobalSecondaryIndexes=[idx("abc", ks(("a", "RANGE")), {}, ProvisionedThroughput=PT)],
        ),
        FIRST_HASH,
    ),
    "gsi_same_names": (
        table(
            keys=TABLE_AB,
            GlobalSecondaryIndexes=[
                idx("abc", ks(("a", "HASH"), ("a", "RANGE")), {}, ProvisionedThroughput=PT)
            ],
        ),
        SAME_NAME,
    ),
    "gsi_no_projection_type": (
        table(
            keys=TABLE_AB,
            GlobalSecondaryIndexes=[idx("abc", ks(("b", "HASH")), {}, ProvisionedThroughput=PT)],
        ),
        invalid("Unknown ProjectionType: null"),
    ),
    "gsi_include_without_non_key": (  # nubo-db/dynoxide#116 quotes DynamoDB (eu-west-2)
        table(
            keys=keys(AB, ks(("a", "HASH"))),
            GlobalSecondaryIndexes=[gsi("gsi1", "b", projection={"ProjectionType": "INCLUDE"})],
            **ON_DEMAND,
        ),
        invalid("ProjectionType is INCLUDE, but NonKeyAttributes is not specified"),
    ),
    "gsi_on_demand_with_throughput": (
        table(
            keys=keys(AB, ks(("a", "HASH"))),
            GlobalSecondaryIndexes=[gsi("gsi1", "b", throughput=PT)],
            **ON_DEMAND,
        ),
        invalid(
            "ProvisionedThroughput should not be specified for index: gsi1 when BillingMode is "
            "PAY_PER_REQUEST"
        ),
    ),
    "gsi_provisioned_without_throughput": (
        table(keys=keys(AB, ks(("a", "HASH"))), GlobalSecondaryIndexes=[gsi("gsi1", "b")]),
        invalid("ProvisionedThroughput is not specified for index: gsi1"),
    ),
    "gsi_duplicate_name": (
        table(
            keys=keys(AB, ks(("a", "HASH"))),
            GlobalSecondaryIndexes=[gsi("gs1", "b"), gsi("gs1", "b")],
            **ON_DEMAND,
        ),
        invalid("Duplicate index name: gs1"),
    ),
    "lsi_and_gsi_same_name": (
        table(
            keys=TABLE_AB,
            LocalSecondaryIndexes=[lsi("abc", "b", "a")],
            GlobalSecondaryIndexes=[gsi("abc", "a", "b", throughput=PT)],
        ),
        invalid("Duplicate index name: abc"),
    ),
    "gsi_twenty_one": (
        table(
            keys=keys(AB, ks(("a", "HASH"))),
            GlobalSecondaryIndexes=[gsi("gs%02d" % i, "b") for i in range(21)],
            **ON_DEMAND,
        ),
        invalid("GlobalSecondaryIndex count exceeds the per-table limit of 20"),
    ),
    "gsi_multi_attribute_key": (
        table(
            keys=keys(AB, ks(("a", "HASH"))),
            GlobalSecondaryIndexes=[idx("gs1", ks(("a", "HASH"), ("b", "HASH")))],
            **ON_DEMAND,
        ),
        (V, "pyddb does not support multi-attribute keys in global secondary indexes (index: gs1) yet"),
    ),
    "unused_definition_with_index": (
        table(keys=keys(ABC, ks(("a", "HASH"))), GlobalSecondaryIndexes=[gsi("gs1", "b")], **ON_DEMAND),
        invalid("Some AttributeDefinitions are not used. AttributeDefinitions: [a, b, c], keys used: [a, b]"),
    ),
    "projected_attributes_over_100": (
        table(
            keys=keys(AB, ks(("a", "HASH"))),
            GlobalSecondaryIndexes=[
                gsi(
                    "gs%d" % i,
                    "b",
                    projection={
                        "ProjectionType": "INCLUDE",
                        "NonKeyAttributes": ["x%d" % j for j in range(17)],
                    },
                )
                for i in range(6)
            ],
            **ON_DEMAND,
        ),
        invalid("Number of projected attributes in all indexes exceeds limit of 100"),
    ),
    # ---- streams, encryption, on-demand throughput, global tables
    "stream_enabled_without_view_type": (
        table(StreamSpecification={"StreamEnabled": True}),
        invalid("Table is being created with a stream enabled, UpdateViewType is required"),
    ),
    "stream_disabled_with_view_type": (
        table(StreamSpecification={"StreamEnabled": False, "StreamViewType": "NEW_IMAGE"}),
        invalid("Table is being created with a stream disabled, UpdateViewType should not be specified"),
    ),
    "sse_disabled_with_type": (
        table(SSESpecification={"Enabled": False, "SSEType": "KMS"}),
        invalid("SSEType can not be specified if Enabled is false"),
    ),
    "sse_aes256": (
        table(SSESpecification={"Enabled": True, "SSEType": "AES256"}),
        invalid("SSEType AES256 is not supported"),
    ),
    "on_demand_throughput_on_provisioned": (
        table(OnDemandThroughput={"MaxReadRequestUnits": 5}),
        invalid(
            "MaxReadRequestUnits for OnDemandThroughput cannot be specified when the table BillingMode is "
            "PROVISIONED"
        ),
    ),
    "on_demand_throughput_zero": (
        table(OnDemandThroughput={"MaxWriteRequestUnits": 0}, **ON_DEMAND),
        invalid("Requested MaxWriteRequestUnits for OnDemandThroughput for table is outside of valid range"),
    ),
    "global_table_source": (
        table(GlobalTableSourceArn="arn:aws:dynamodb:us-west-2:000000000000:table/src", **ON_DEMAND),
        (V, "pyddb does not support GlobalTableSourceArn (global tables) yet"),
    ),
    # ---- tags given to CreateTable (ack-api-quirks DDB-TABLE-110: the whole CreateTable fails)
    "tag_aws_prefix": (
        table(Tags=[{"Key": "aws:foo", "Value": "x"}]),
        (V, "Tag Key cannot be prefixed with aws:, Key: aws:foo"),
    ),
    "tag_hash_in_key": (
        table(Tags=[{"Key": "bad#char", "Value": "x"}]),
        (V, "The Tag Key provided is invalid, Key: bad#char"),
    ),
    "tags_51": (
        table(Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(51)]),
        (V, "Number of Tags exceed the current limit for the provided ResourceArn"),
    ),
}


def test_create_table_rejections(ddb):
    """Every case on one database (a rejected CreateTable creates nothing, so they cannot disturb each other);
    all mismatches are reported together."""
    wrong = {}
    for name, (request, expected) in sorted(CREATE_CASES.items()):
        got = fails(ddb.create_table, **request)
        if got != expected:
            wrong[name] = got
    assert wrong == {}
    assert ddb.list_tables()["TableNames"] == []


def test_create_table_accepts_the_limits(ddb):
    ddb.create_table(
        **table("t01", keys=TABLE_AB, LocalSecondaryIndexes=[lsi("ab%d" % i, "b", "a") for i in range(5)])
    )
    ddb.create_table(
        **table(
            "t02",
            keys=keys(AB, ks(("a", "HASH"))),
            GlobalSecondaryIndexes=[gsi("gs%02d" % i, "b") for i in range(20)],
            **ON_DEMAND,
        )
    )
    ddb.create_table(
        **table(
            "t03",
            keys=keys(AB, ks(("a", "HASH"))),
            GlobalSecondaryIndexes=[
                gsi(
                    "gs%d" % i,
                    "b",
                    projection={
                        "ProjectionType": "INCLUDE",
                        "NonKeyAttributes": ["x%d" % j for j in range(20)],
                    },
                )
                for i in range(5)
            ],
            **ON_DEMAND,
        )
    )
    ddb.create_table(**table("t04", Tags=[{"Key": "k%02d" % i, "Value": "v"} for i in range(50)]))
    ddb.create_table(
        **table("t05", ProvisionedThroughput={"ReadCapacityUnits": 40000, "WriteCapacityUnits": 40000})
    )
    ddb.create_table(**table("t06", Tags=[]))
    assert len(ddb.list_tables()["TableNames"]) == 6


def test_lsi_may_reuse_the_table_range_key(ddb):
    ddb.create_table(
        **table(
            "tbl",
            keys=TABLE_AB,
            LocalSecondaryIndexes=[
                lsi("abc", "b", "a", {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]})
            ],
        )
    )


# =========================================================================================================
# UpdateTable: what DynamoDB checks before it looks at the table
# =========================================================================================================

AT_LEAST_ONE = (
    V,
    "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, "
    "SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, "
    "MultiRegionConsistency, "
    "DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required",
)
STREAM_ON = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}

UPDATE_CASES = {
    "nothing": ({}, AT_LEAST_ONE),
    "attribute_definitions_only": ({"AttributeDefinitions": AB}, AT_LEAST_ONE),
    "empty_structures": ({"WarmThroughput": {}, "GlobalSecondaryIndexUpdates": []}, AT_LEAST_ONE),
    "multi_region_consistency_only": (  # catalogue: the member the request has is left out of the list
        {"MultiRegionConsistency": "STRONG"},
        (V, AT_LEAST_ONE[1].replace(" MultiRegionConsistency,", "")),
    ),
    "sse_and_deletion_protection": (
        {"SSESpecification": {"Enabled": True}, "DeletionProtectionEnabled": True},
        invalid("Server-Side Encryption modification must be the only operation in the request"),
    ),
    "table_class_and_deletion_protection": (
        {"TableClass": "STANDARD", "DeletionProtectionEnabled": True},
        invalid("TableClass modification must be the only operation in the request"),
    ),
    "deletion_protection_and_throughput": (
        {"DeletionProtectionEnabled": True, "ProvisionedThroughput": PT},
        invalid("DeletionProtection modification must be the only operation in the request"),
    ),
    "deletion_protection_and_billing_mode": (
        {"DeletionProtectionEnabled": True, "BillingMode": "PAY_PER_REQUEST"},
        invalid("DeletionProtection modification must be the only operation in the request"),
    ),
    "warm_and_stream": (
        {"WarmThroughput": {"ReadUnitsPerSecond": 20000}, "StreamSpecification": STREAM_ON},
        invalid("WarmThroughput must be the only operation in the request"),
    ),
    "on_demand_and_stream": (
        {"OnDemandThroughput": {"MaxReadRequestUnits": 5}, "StreamSpecification": STREAM_ON},
        invalid("OnDemandThroughput can only be combined with BillingMode in an UpdateTable request"),
    ),
    "throughput_and_stream": (
        {"ProvisionedThroughput": PT, "StreamSpecification": STREAM_ON},
        invalid("You cannot modify stream status while updating table IOPS"),
    ),
    "provisioned_and_stream": (
        {"BillingMode": "PROVISIONED", "ProvisionedThroughput": PT, "StreamSpecification": STREAM_ON},
        invalid("You cannot modify stream status while updating table IOPS"),
    ),
    "on_demand_with_throughput": (
        {"BillingMode": "PAY_PER_REQUEST", "ProvisionedThroughput": PT},
        invalid("ProvisionedThroughput cannot be specified when BillingMode is PAY_PER_REQUEST"),
    ),
    "provisioned_without_throughput": (
        {"BillingMode": "PROVISIONED"},
        invalid("ProvisionedThroughput must be specified when BillingMode is PROVISIONED"),
    ),
    "throughput_out_of_bounds": (
        {"ProvisionedThroughput": {"ReadCapacityUnits": 1000000000001, "WriteCapacityUnits": 1}},
        (V, "Given value 1000000000001 for ReadCapacityUnits is out of bounds"),
    ),
    "stream_enabled_without_view_type": (
        {"StreamSpecification": {"StreamEnabled": True}},
        invalid("If stream is being enabled then UpdateViewType is required"),
    ),
    "stream_disabled_with_view_type": (
        {"StreamSpecification": {"StreamEnabled": False, "StreamViewType": "NEW_IMAGE"}},
        invalid("If stream is being disabled, then UpdateViewType must not be specified"),
    ),
    "on_demand_throughput_zero": (
        {"OnDemandThroughput": {"MaxReadRequestUnits": 0}},
        invalid("Requested MaxReadRequestUnits for OnDemandThroughput for table is outside of valid range"),
    ),
    "global_secondary_index_update_empty": (
        {"GlobalSecondaryIndexUpdates": [{}]},
        invalid("One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, "
                "GlobalSecondaryIndexUpdate.Delete must not be null"),
    ),
    "replica_updates": (
        {"ReplicaUpdates": [{"Create": {"RegionName": "us-west-2"}}]},
        (V, "pyddb does not support ReplicaUpdates (global tables) yet"),
    ),
}


def test_update_table_rejections_come_before_the_table_is_looked_at(ddb):
    ddb.create_table(**table("tbl", **ON_DEMAND))
    before = ddb.describe_table(TableName="tbl")["Table"]
    wrong = {}
    for name, (request, expected) in sorted(UPDATE_CASES.items()):
        for table_name in ("nope", "tbl"):  # a missing table: the same error, checked first
            got = fails(ddb.update_table, TableName=table_name, **request)
            if got != expected:
                wrong[name, table_name] = got
    assert wrong == {}
    assert ddb.describe_table(TableName="tbl")["Table"] == before


# =========================================================================================================
# UpdateTable: what depends on the table
# =========================================================================================================


def test_update_throughput_of_an_on_demand_table(ddb):
    ddb.create_table(**table("tbl", **ON_DEMAND))
    assert fails(ddb.update_table, TableName="tbl", ProvisionedThroughput=PT) == invalid(
        "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is "
        "PAY_PER_REQUEST"
    )


def test_update_to_provisioned_needs_throughput_for_every_gsi(ddb):
    ddb.create_table(
        **table(
            "tbl", keys=keys(AB, ks(("a", "HASH"))), GlobalSecondaryIndexes=[gsi("gs1", "b")], **ON_DEMAND
        )
    )
    assert fails(
        ddb.update_table, TableName="tbl", BillingMode="PROVISIONED", ProvisionedThroughput=PT
    ) == invalid("ProvisionedThroughput must be specified for index: gs1")


def test_update_on_demand_throughput_of_a_provisioned_table(ddb):
    ddb.create_table(**table("tbl"))
    assert fails(
        ddb.update_table, TableName="tbl", OnDemandThroughput={"MaxWriteRequestUnits": 9}
    ) == invalid(
        "MaxWriteRequestUnits for OnDemandThroughput cannot be specified when the table BillingMode is "
        "PROVISIONED"
    )


def test_update_warm_throughput_never_decreases(ddb):
    ddb.create_table(**table("tbl", **ON_DEMAND))
    assert fails(ddb.update_table, TableName="tbl", WarmThroughput={"WriteUnitsPerSecond": 100}) == invalid(
        "Requested WriteUnitsPerSecond for WarmThroughput for table is lower than current WarmThroughput, "
        "decreasing WarmThroughput is not supported"
    )
    ddb.update_table(TableName="tbl", WarmThroughput={"WriteUnitsPerSecond": 4000})  # equal is fine


def test_update_throughput_over_the_table_maximum(ddb):
    ddb.create_table(**table("tbl"))
    assert fails(
        ddb.update_table,
        TableName="tbl",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 40001},
    ) == (
        "LimitExceededException",
        "The requested WriteCapacityUnits, 40001, is above the per table maximum for the account in "
        "us-east-1. "
        "Per table maximum: 40000.",
    )
