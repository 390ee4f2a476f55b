"""The control plane in DynamoDB's terms: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable,
DescribeLimits, DescribeEndpoints, and persistence of table definitions across a reopen.

Expected shapes and texts are DynamoDB's; the sources are cited in src/pyddb/api/tables.py and
src/pyddb/validation/rules.py. Validation texts of CreateTable/UpdateTable are in test_table_validation.py,
the tag operations in test_table_tags.py.
"""

import datetime
import re
import time

import pytest
from test_table_helpers import (
    HASH,
    HASH_RANGE,
    ON_DEMAND,
    PT,
    UUID4,
    assert_botocore_shape,
    attrs,
    fails,
    gsi,
    invalid,
    lsi,
    strip,
    table,
)

ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/"


def created(ddb, **request):
    response = ddb.create_table(**request)
    assert_botocore_shape("CreateTable", response)
    return response["TableDescription"]


def described(ddb, name):
    response = ddb.describe_table(TableName=name)
    assert_botocore_shape("DescribeTable", response)
    return response["Table"]


def without_identity(description):
    """The description without the members that differ per table or per call, after checking their form."""
    d = dict(description)
    assert re.fullmatch(UUID4, d.pop("TableId"))
    assert d.pop("TableArn") == ARN + d["TableName"]
    created_at = d.pop("CreationDateTime")
    assert isinstance(created_at, datetime.datetime) and created_at.tzinfo is not None
    assert abs(created_at.timestamp() - time.time()) < 60
    return d


# =========================================================================================================
# CreateTable and DescribeTable: the shapes
# =========================================================================================================


def test_create_table_provisioned_responds_creating_with_dynamodbs_members_only(ddb):
    d = created(ddb, **table("tbl"))
    assert without_identity(d) == {
        **HASH,
        "TableName": "tbl",
        "TableStatus": "CREATING",
        "ProvisionedThroughput": {
            "NumberOfDecreasesToday": 0,
            "ReadCapacityUnits": 5,
            "WriteCapacityUnits": 5,
        },
        "TableSizeBytes": 0,
        "ItemCount": 0,
        "DeletionProtectionEnabled": False,
    }


def test_create_table_on_demand_responds_with_billing_summary_and_zero_throughput(ddb):
    d = created(ddb, **table("tbl", **ON_DEMAND))
    assert without_identity(d) == {
        **HASH,
        "TableName": "tbl",
        "TableStatus": "CREATING",
        "ProvisionedThroughput": {
            "NumberOfDecreasesToday": 0,
            "ReadCapacityUnits": 0,
            "WriteCapacityUnits": 0,
        },
        "TableSizeBytes": 0,
        "ItemCount": 0,
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
        "DeletionProtectionEnabled": False,
    }


def test_created_table_is_active_on_the_first_describe(ddb):
    ddb.create_table(**table("tbl"))
    assert described(ddb, "tbl")["TableStatus"] == "ACTIVE"


def test_table_exists_waiter_returns_at_once(ddb):
    ddb.create_table(**table("tbl", **ON_DEMAND))
    start = time.monotonic()
    ddb.get_waiter("table_exists").wait(TableName="tbl")
    assert time.monotonic() - start < 1


def test_describe_table_provisioned_full_shape(ddb):
    c = created(ddb, **table("tbl", keys=HASH_RANGE))
    d = described(ddb, "tbl")
    assert d["TableId"] == c["TableId"] and d["CreationDateTime"] == c["CreationDateTime"]
    assert without_identity(d) == {
        **HASH_RANGE,
        "TableName": "tbl",
        "TableStatus": "ACTIVE",
        "ProvisionedThroughput": {
            "NumberOfDecreasesToday": 0,
            "ReadCapacityUnits": 5,
            "WriteCapacityUnits": 5,
        },
        "TableSizeBytes": 0,
        "ItemCount": 0,
        "DeletionProtectionEnabled": False,
        "WarmThroughput": {"ReadUnitsPerSecond": 5, "WriteUnitsPerSecond": 5, "Status": "ACTIVE"},
    }


def test_describe_table_on_demand_full_shape(ddb):
    ddb.create_table(**table("tbl", **ON_DEMAND))
    d = described(ddb, "tbl")
    assert d["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"] == d["CreationDateTime"]
    assert without_identity(d) == {
        **HASH,
        "TableName": "tbl",
        "TableStatus": "ACTIVE",
        "ProvisionedThroughput": {
            "NumberOfDecreasesToday": 0,
            "ReadCapacityUnits": 0,
            "WriteCapacityUnits": 0,
        },
        "TableSizeBytes": 0,
        "ItemCount": 0,
        "BillingModeSummary": {
            "BillingMode": "PAY_PER_REQUEST",
            "LastUpdateToPayPerRequestDateTime": d["CreationDateTime"],
        },
        "DeletionProtectionEnabled": False,
        "WarmThroughput": {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"},
    }


def test_describe_table_of_a_missing_table_names_it(ddb):
    assert fails(ddb.describe_table, TableName="nope") == (
        "ResourceNotFoundException",
        "Requested resource not found: Table: nope not found",
    )


def test_describe_table_accepts_the_table_arn_and_names_the_extracted_table(ddb):
    ddb.create_table(**table("tbl"))
    assert ddb.describe_table(TableName=ARN + "tbl")["Table"]["TableName"] == "tbl"
    assert fails(ddb.describe_table, TableName=ARN + "nope") == (
        "ResourceNotFoundException",
        "Requested resource not found: Table: nope not found",
    )


def test_describe_table_with_an_arn_of_another_account_is_access_denied(ddb):
    ddb.create_table(**table("tbl"))
    code, _ = fails(ddb.describe_table, TableName="arn:aws:dynamodb:us-east-1:123456789012:table/tbl")
    assert code == "AccessDeniedException"
    code, message = fails(ddb.describe_table, TableName="arn:aws:dynamodb:eu-west-1:000000000000:table/tbl")
    assert (code, message.startswith("1 validation error detected: Invalid AWS region in ")) == (
        "ValidationException",
        True,
    )


def test_table_ids_are_uuid4_and_a_recreated_table_keeps_its_arn_but_not_its_id(ddb):
    first = created(ddb, **table("tbl"))
    ddb.delete_table(TableName="tbl")
    second = created(ddb, **table("tbl"))
    assert re.fullmatch(UUID4, first["TableId"]) and re.fullmatch(UUID4, second["TableId"])
    assert first["TableId"] != second["TableId"]
    assert first["TableArn"] == second["TableArn"] == ARN + "tbl"


def test_create_table_with_indexes_describes_them(ddb):
    request = table(
        "tbl",
        keys={
            "AttributeDefinitions": attrs(("pk", "S"), ("sk", "N"), ("lsk", "S"), ("gpk", "S"), ("gsk", "B")),
            "KeySchema": HASH_RANGE["KeySchema"],
        },
        LocalSecondaryIndexes=[lsi("lsi1", "lsk", projection={"ProjectionType": "KEYS_ONLY"})],
        GlobalSecondaryIndexes=[
            gsi("gsi1", "gpk", "gsk", {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "b"]}, PT),
            gsi("gsi2", "gpk", throughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}),
        ],
    )
    c = created(ddb, **request)
    assert c["LocalSecondaryIndexes"] == [
        {
            "IndexName": "lsi1",
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "lsk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
            "IndexSizeBytes": 0,
            "ItemCount": 0,
            "IndexArn": ARN + "tbl/index/lsi1",
        }
    ]
    gsi1 = {
        "IndexName": "gsi1",
        "KeySchema": [
            {"AttributeName": "gpk", "KeyType": "HASH"},
            {"AttributeName": "gsk", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "b"]},
        "IndexStatus": "CREATING",
        "ProvisionedThroughput": {
            "NumberOfDecreasesToday": 0,
            "ReadCapacityUnits": 5,
            "WriteCapacityUnits": 5,
        },
        "IndexSizeBytes": 0,
        "ItemCount": 0,
        "IndexArn": ARN + "tbl/index/gsi1",
    }
    assert c["GlobalSecondaryIndexes"][0] == gsi1
    assert [g["IndexName"] for g in c["GlobalSecondaryIndexes"]] == ["gsi1", "gsi2"]
    d = described(ddb, "tbl")
    assert d["LocalSecondaryIndexes"] == c["LocalSecondaryIndexes"]
    assert d["GlobalSecondaryIndexes"][0] == dict(
        gsi1,
        IndexStatus="ACTIVE",
        WarmThroughput={"ReadUnitsPerSecond": 5, "WriteUnitsPerSecond": 5, "Status": "ACTIVE"},
    )
    assert d["GlobalSecondaryIndexes"][1]["ProvisionedThroughput"] == {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": 2,
        "WriteCapacityUnits": 3,
    }
    assert d["AttributeDefinitions"] == request["AttributeDefinitions"]


def test_on_demand_gsi_reports_zero_throughput_and_on_demand_warm_throughput(ddb):
    ddb.create_table(
        **table(
            "tbl",
            keys={"AttributeDefinitions": attrs(("pk", "S"), ("g", "S")), "KeySchema": HASH["KeySchema"]},
            GlobalSecondaryIndexes=[gsi("gsi", "g")],
            **ON_DEMAND,
        )
    )
    g = described(ddb, "tbl")["GlobalSecondaryIndexes"][0]
    assert g["ProvisionedThroughput"] == {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": 0,
        "WriteCapacityUnits": 0,
    }
    assert g["WarmThroughput"] == {
        "ReadUnitsPerSecond": 12000,
        "WriteUnitsPerSecond": 4000,
        "Status": "ACTIVE",
    }


def test_create_table_with_a_stream_reports_it_and_its_latest_stream(ddb):
    c = created(
        ddb,
        **table("tbl", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}),
    )
    assert c["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", c["LatestStreamLabel"])
    assert c["LatestStreamArn"] == ARN + "tbl/stream/" + c["LatestStreamLabel"]
    d = described(ddb, "tbl")
    assert (d["StreamSpecification"], d["LatestStreamArn"]) == (
        c["StreamSpecification"],
        c["LatestStreamArn"],
    )


def test_create_table_with_a_disabled_stream_has_no_stream(ddb):
    d = created(ddb, **table("tbl", StreamSpecification={"StreamEnabled": False}))
    assert not {"StreamSpecification", "LatestStreamLabel", "LatestStreamArn"} & set(d)


def test_create_table_options_are_described(ddb):
    c = created(
        ddb,
        **table(
            "tbl",
            DeletionProtectionEnabled=True,
            TableClass="STANDARD_INFREQUENT_ACCESS",
            OnDemandThroughput={"MaxReadRequestUnits": 100},
            SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/mykey"},
            WarmThroughput={"ReadUnitsPerSecond": 15000, "WriteUnitsPerSecond": 5000},
            **ON_DEMAND,
        ),
    )
    expected = {
        "DeletionProtectionEnabled": True,
        "TableClassSummary": {"TableClass": "STANDARD_INFREQUENT_ACCESS"},
        "OnDemandThroughput": {"MaxReadRequestUnits": 100},
        "SSEDescription": {
            "Status": "ENABLED",
            "SSEType": "KMS",
            "KMSMasterKeyArn": "arn:aws:kms:us-east-1:000000000000:alias/mykey",
        },
        "WarmThroughput": {"ReadUnitsPerSecond": 15000, "WriteUnitsPerSecond": 5000, "Status": "ACTIVE"},
    }
    assert {k: c[k] for k in expected} == expected
    d = described(ddb, "tbl")
    assert {k: d[k] for k in expected} == expected


def test_table_class_standard_given_at_creation_is_summarised(ddb):
    d = created(ddb, **table("tbl", TableClass="STANDARD"))
    assert d["TableClassSummary"] == {"TableClass": "STANDARD"}


def test_create_table_with_an_sse_specification_without_enabled(ddb):
    assert "SSEDescription" not in created(ddb, **table("t01", SSESpecification={}))
    d = created(ddb, **table("t02", SSESpecification={"SSEType": "KMS"}))
    assert d["SSEDescription"]["Status"] == "ENABLED"
    assert d["SSEDescription"]["KMSMasterKeyArn"].startswith("arn:aws:kms:us-east-1:000000000000:key/")


def test_create_table_that_exists_is_resource_in_use_whatever_its_parameters(ddb):
    ddb.create_table(**table("tbl"))
    assert fails(ddb.create_table, **table("tbl")) == ("ResourceInUseException", "Table already exists: tbl")
    assert fails(ddb.create_table, **table("tbl", keys=HASH_RANGE, **ON_DEMAND)) == (
        "ResourceInUseException",
        "Table already exists: tbl",
    )


def test_create_table_that_exists_with_an_invalid_schema_is_a_validation_error_first(ddb):
    ddb.create_table(**table("tbl"))
    bad = table(
        "tbl", keys={"AttributeDefinitions": attrs(("pk", "S"), ("x", "S")), "KeySchema": HASH["KeySchema"]}
    )
    assert fails(ddb.create_table, **bad) == invalid(
        "Number of attributes in KeySchema does not exactly match number of attributes defined in "
        "AttributeDefinitions"
    )


def test_table_names_are_case_sensitive(ddb):
    ddb.create_table(**table("tbl"))
    ddb.create_table(**table("TBL"))
    assert ddb.list_tables()["TableNames"] == ["TBL", "tbl"]


# =========================================================================================================
# ItemCount and sizes follow the items
# =========================================================================================================


def test_item_count_and_size_follow_puts_and_deletes(ddb):
    ddb.create_table(
        **table(
            "tbl",
            keys={"AttributeDefinitions": attrs(("pk", "S"), ("g", "S")), "KeySchema": HASH["KeySchema"]},
            GlobalSecondaryIndexes=[gsi("gsi", "g")],
            **ON_DEMAND,
        )
    )
    for i in range(3):
        ddb.put_item(TableName="tbl", Item={"pk": {"S": "k%d" % i}, "data": {"S": "x" * 100}})
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "k9"}, "g": {"S": "in the index"}})
    d = described(ddb, "tbl")
    assert d["ItemCount"] == 4
    assert d["TableSizeBytes"] > 300
    g = d["GlobalSecondaryIndexes"][0]
    assert (g["ItemCount"], g["IndexSizeBytes"] > 0) == (1, True)
    ddb.delete_item(TableName="tbl", Key={"pk": {"S": "k0"}})
    assert described(ddb, "tbl")["ItemCount"] == 3


# =========================================================================================================
# ListTables
# =========================================================================================================


def test_list_tables_empty(ddb):
    response = ddb.list_tables()
    assert_botocore_shape("ListTables", response)
    assert strip(response) == {"TableNames": []}


def test_list_tables_in_byte_order(ddb):
    for name in ("abc", "ABC", "a.b", "a_b", "Zeta", "a-b", "012"):
        ddb.create_table(**table(name, **ON_DEMAND))
    assert ddb.list_tables()["TableNames"] == ["012", "ABC", "Zeta", "a-b", "a.b", "a_b", "abc"]


def test_list_tables_pages_and_omits_the_cursor_on_the_last_page(ddb):
    names = ["t%02d" % i for i in range(5)]
    for name in names:
        ddb.create_table(**table(name, **ON_DEMAND))
    assert strip(ddb.list_tables(Limit=2)) == {"TableNames": names[:2], "LastEvaluatedTableName": "t01"}
    assert strip(ddb.list_tables(Limit=2, ExclusiveStartTableName="t01")) == {
        "TableNames": names[2:4],
        "LastEvaluatedTableName": "t03",
    }
    assert strip(ddb.list_tables(Limit=2, ExclusiveStartTableName="t03")) == {"TableNames": ["t04"]}
    assert strip(ddb.list_tables(Limit=5)) == {"TableNames": names}
    assert strip(ddb.list_tables(Limit=1, ExclusiveStartTableName="t04")) == {"TableNames": []}


def test_list_tables_starts_after_a_name_that_is_no_table(ddb):
    for name in ("aaa", "ccc"):
        ddb.create_table(**table(name, **ON_DEMAND))
    assert ddb.list_tables(ExclusiveStartTableName="bbb")["TableNames"] == ["ccc"]


def test_list_tables_paginator_walks_every_page(ddb):
    names = ["t%02d" % i for i in range(7)]
    for name in names:
        ddb.create_table(**table(name, **ON_DEMAND))
    pages = list(ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 3}))
    assert [p["TableNames"] for p in pages] == [names[:3], names[3:6], names[6:]]


def test_list_tables_limit_bounds(ddb):
    constraint = (
        "1 validation error detected: Value '%s' at 'limit' failed to satisfy constraint: Member must %s"
    )
    assert fails(ddb.list_tables, Limit=0) == (
        "ValidationException",
        constraint % (0, "have value greater than or equal to 1"),
    )
    assert fails(ddb.list_tables, Limit=101) == (
        "ValidationException",
        constraint % (101, "have value less than or equal to 100"),
    )


# =========================================================================================================
# DeleteTable
# =========================================================================================================


def test_delete_table_responds_deleting_and_the_table_is_gone_at_once(ddb):
    c = created(ddb, **table("tbl"))
    response = ddb.delete_table(TableName="tbl")
    assert_botocore_shape("DeleteTable", response)
    d = response["TableDescription"]
    assert d["TableStatus"] == "DELETING"
    assert (d["TableName"], d["TableId"], d["TableArn"]) == ("tbl", c["TableId"], c["TableArn"])
    assert fails(ddb.describe_table, TableName="tbl")[0] == "ResourceNotFoundException"
    assert ddb.list_tables()["TableNames"] == []
    start = time.monotonic()
    ddb.get_waiter("table_not_exists").wait(TableName="tbl")
    assert time.monotonic() - start < 1


def test_delete_table_of_a_missing_table_names_it(ddb):
    assert fails(ddb.delete_table, TableName="nope") == (
        "ResourceNotFoundException",
        "Requested resource not found: Table: nope not found",
    )


def test_a_recreated_table_has_none_of_the_old_items(ddb):
    ddb.create_table(**table("tbl", **ON_DEMAND))
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}})
    ddb.delete_table(TableName="tbl")
    ddb.create_table(**table("tbl", **ON_DEMAND))
    assert "Item" not in ddb.get_item(TableName="tbl", Key={"pk": {"S": "a"}})
    assert described(ddb, "tbl")["ItemCount"] == 0


def test_delete_table_honours_deletion_protection(ddb):
    ddb.create_table(**table("tbl", DeletionProtectionEnabled=True))
    assert fails(ddb.delete_table, TableName="tbl") == (
        "ValidationException",
        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion "
        "protection first.",
    )
    assert described(ddb, "tbl")["TableStatus"] == "ACTIVE"
    ddb.update_table(TableName="tbl", DeletionProtectionEnabled=False)
    assert ddb.delete_table(TableName="tbl")["TableDescription"]["TableStatus"] == "DELETING"


def test_delete_table_by_arn(ddb):
    ddb.create_table(**table("tbl"))
    ddb.delete_table(TableName=ARN + "tbl")
    assert ddb.list_tables()["TableNames"] == []


# =========================================================================================================
# UpdateTable
# =========================================================================================================


def updated(ddb, **request):
    response = ddb.update_table(**request)
    assert_botocore_shape("UpdateTable", response)
    return response["TableDescription"]


def test_update_throughput_responds_updating_with_the_old_values_and_describes_the_new(ddb):
    ddb.create_table(**table("tbl"))
    u = updated(
        ddb, TableName="tbl", ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 7}
    )
    assert u["TableStatus"] == "UPDATING"
    assert u["ProvisionedThroughput"] == {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": 5,
        "WriteCapacityUnits": 5,
    }
    d = described(ddb, "tbl")
    assert d["TableStatus"] == "ACTIVE"
    pt = d["ProvisionedThroughput"]
    assert isinstance(pt.pop("LastIncreaseDateTime"), datetime.datetime)
    assert pt == {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 10, "WriteCapacityUnits": 7}
    assert d["WarmThroughput"] == {"ReadUnitsPerSecond": 10, "WriteUnitsPerSecond": 7, "Status": "ACTIVE"}


def test_update_throughput_decreases_are_counted(ddb):
    ddb.create_table(**table("tbl"))
    ddb.update_table(TableName="tbl", ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 3})
    ddb.update_table(TableName="tbl", ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 9})
    pt = described(ddb, "tbl")["ProvisionedThroughput"]
    assert pt["NumberOfDecreasesToday"] == 2
    assert pt["LastDecreaseDateTime"] >= pt["LastIncreaseDateTime"]
    assert (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]) == (2, 9)
    # warm throughput never decreases: the highest ever provisioned
    assert described(ddb, "tbl")["WarmThroughput"]["ReadUnitsPerSecond"] == 5


def test_update_to_the_same_throughput_is_an_error(ddb):
    ddb.create_table(**table("tbl"))
    assert fails(ddb.update_table, TableName="tbl", ProvisionedThroughput=PT) == (
        "ValidationException",
        "The provisioned throughput for the table will not change. The requested value equals the current "
        "value. "
        "Current ReadCapacityUnits provisioned for the table: 5. Requested ReadCapacityUnits: 5. Current "
        "WriteCapacityUnits provisioned for the table: 5. Requested WriteCapacityUnits: 5. Refer to the "
        "Amazon "
        "DynamoDB Developer Guide for current limits and how to request higher limits.",
    )


def test_update_billing_mode_round_trip(ddb):
    ddb.create_table(**table("tbl"))
    u = updated(ddb, TableName="tbl", BillingMode="PAY_PER_REQUEST")
    assert u["TableStatus"] == "UPDATING"
    assert "BillingModeSummary" not in u and u["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    d = described(ddb, "tbl")
    switched = d["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"]
    assert d["BillingModeSummary"] == {
        "BillingMode": "PAY_PER_REQUEST",
        "LastUpdateToPayPerRequestDateTime": switched,
    }
    assert switched >= d["CreationDateTime"]
    assert (
        d["ProvisionedThroughput"]["ReadCapacityUnits"],
        d["ProvisionedThroughput"]["WriteCapacityUnits"],
    ) == (0, 0)
    assert d["WarmThroughput"] == {
        "ReadUnitsPerSecond": 12000,
        "WriteUnitsPerSecond": 4000,
        "Status": "ACTIVE",
    }
    ddb.update_table(
        TableName="tbl",
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 2},
    )
    d = described(ddb, "tbl")
    assert d["BillingModeSummary"] == {
        "BillingMode": "PROVISIONED",
        "LastUpdateToPayPerRequestDateTime": switched,
    }
    assert (
        d["ProvisionedThroughput"]["ReadCapacityUnits"],
        d["ProvisionedThroughput"]["WriteCapacityUnits"],
    ) == (1, 2)
    assert d["WarmThroughput"]["ReadUnitsPerSecond"] == 12000


def test_update_pay_per_request_again_is_accepted(ddb):
    ddb.create_table(**table("tbl", **ON_DEMAND))
    assert updated(ddb, TableName="tbl", BillingMode="PAY_PER_REQUEST")["TableStatus"] == "UPDATING"
    assert described(ddb, "tbl")["TableStatus"] == "ACTIVE"


def test_update_deletion_protection_is_immediate_and_active(ddb):
    ddb.create_table(**table("tbl"))
    u = updated(ddb, TableName="tbl", DeletionProtectionEnabled=True)
    assert (u["TableStatus"], u["DeletionProtectionEnabled"]) == ("ACTIVE", True)
    assert described(ddb, "tbl")["DeletionProtectionEnabled"] is True
    updated(ddb, TableName="tbl", DeletionProtectionEnabled=True)  # a re-send of the same value is fine


def test_update_stream_enable_disable_and_reenable(ddb):
    ddb.create_table(**table("tbl"))
    u = updated(
        ddb, TableName="tbl", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    )
    assert u["TableStatus"] == "UPDATING"
    assert u["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    first = described(ddb, "tbl")["LatestStreamArn"]
    assert first == ARN + "tbl/stream/" + u["LatestStreamLabel"]
    ddb.update_table(TableName="tbl", StreamSpecification={"StreamEnabled": False})
    d = described(ddb, "tbl")
    assert "StreamSpecification" not in d and d["LatestStreamArn"] == first
    time.sleep(0.002)
    ddb.update_table(
        TableName="tbl", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    )
    d = described(ddb, "tbl")
    assert d["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE" and d["LatestStreamArn"] != first


def test_update_stream_re_sends_are_errors_naming_the_table(ddb):
    ddb.create_table(**table("tbl"))
    assert fails(ddb.update_table, TableName="tbl", StreamSpecification={"StreamEnabled": False}) == (
        "ValidationException",
        "Table has no stream to disable: TableName: tbl",
    )
    on = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    ddb.update_table(TableName="tbl", StreamSpecification=on)
    assert fails(ddb.update_table, TableName="tbl", StreamSpecification=on) == (
        "ValidationException",
        "Table already has an enabled stream: TableName: tbl",
    )


def test_update_table_class(ddb):
    ddb.create_table(**table("tbl"))
    u = updated(ddb, TableName="tbl", TableClass="STANDARD")
    assert "TableClassSummary" not in u and "TableClassSummary" not in described(ddb, "tbl")
    u = updated(ddb, TableName="tbl", TableClass="STANDARD_INFREQUENT_ACCESS")
    assert u["TableStatus"] == "UPDATING" and "TableClassSummary" not in u
    summary = described(ddb, "tbl")["TableClassSummary"]
    assert summary["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert isinstance(summary["LastUpdateDateTime"], datetime.datetime)


def test_update_on_demand_throughput_merges_and_minus_one_clears(ddb):
    ddb.create_table(**table("tbl", **ON_DEMAND))
    u = updated(
        ddb, TableName="tbl", OnDemandThroughput={"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 20}
    )
    assert (u["TableStatus"], u["OnDemandThroughput"]) == (
        "ACTIVE",
        {"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 20},
    )
    ddb.update_table(TableName="tbl", OnDemandThroughput={"MaxReadRequestUnits": -1})
    assert described(ddb, "tbl")["OnDemandThroughput"] == {"MaxWriteRequestUnits": 20}
    ddb.update_table(TableName="tbl", OnDemandThroughput={"MaxWriteRequestUnits": -1})
    assert "OnDemandThroughput" not in described(ddb, "tbl")


def test_update_warm_throughput_raises_it(ddb):
    ddb.create_table(**table("tbl", **ON_DEMAND))
    u = updated(ddb, TableName="tbl", WarmThroughput={"ReadUnitsPerSecond": 13000})
    assert u["TableStatus"] == "UPDATING" and u["WarmThroughput"]["ReadUnitsPerSecond"] == 12000
    assert described(ddb, "tbl")["WarmThroughput"] == {
        "ReadUnitsPerSecond": 13000,
        "WriteUnitsPerSecond": 4000,
        "Status": "ACTIVE",
    }


def test_update_sse(ddb):
    ddb.create_table(**table("tbl"))
    assert fails(ddb.update_table, TableName="tbl", SSESpecification={"Enabled": False}) == invalid(
        "Table is already encrypted by default"
    )
    u = updated(ddb, TableName="tbl", SSESpecification={"Enabled": True, "SSEType": "KMS"})
    assert (u["TableStatus"], u["SSEDescription"]["Status"]) == ("ACTIVE", "UPDATING")
    assert described(ddb, "tbl")["SSEDescription"]["Status"] == "ENABLED"
    ddb.update_table(TableName="tbl", SSESpecification={"Enabled": False})
    assert "SSEDescription" not in described(ddb, "tbl")


def test_update_table_by_arn(ddb):
    ddb.create_table(**table("tbl"))
    assert updated(ddb, TableName=ARN + "tbl", DeletionProtectionEnabled=True)["TableName"] == "tbl"


def test_update_table_of_a_missing_table_names_it(ddb):
    assert fails(ddb.update_table, TableName="nope", DeletionProtectionEnabled=True) == (
        "ResourceNotFoundException",
        "Requested resource not found: Table: nope not found",
    )


# =========================================================================================================
# DescribeLimits, DescribeEndpoints
# =========================================================================================================


def test_describe_limits(ddb):
    response = ddb.describe_limits()
    assert_botocore_shape("DescribeLimits", response)
    assert strip(response) == {
        "AccountMaxReadCapacityUnits": 80000,
        "AccountMaxWriteCapacityUnits": 80000,
        "TableMaxReadCapacityUnits": 40000,
        "TableMaxWriteCapacityUnits": 40000,
    }


def test_describe_endpoints(ddb):
    response = ddb.describe_endpoints()
    assert_botocore_shape("DescribeEndpoints", response)
    (endpoint,) = response["Endpoints"]
    assert endpoint["CachePeriodInMinutes"] == 1440
    assert isinstance(endpoint["Address"], str) and endpoint["Address"]


# =========================================================================================================
# Persistence
# =========================================================================================================


def test_table_definitions_survive_reopen(ddb, reopen):
    ddb.create_table(
        **table(
            "one",
            keys={
                "AttributeDefinitions": attrs(("pk", "S"), ("sk", "N"), ("l", "S"), ("g", "B")),
                "KeySchema": HASH_RANGE["KeySchema"],
            },
            LocalSecondaryIndexes=[lsi("byl", "l")],
            GlobalSecondaryIndexes=[
                gsi("byg", "g", projection={"ProjectionType": "KEYS_ONLY"}, throughput=PT)
            ],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
            Tags=[{"Key": "team", "Value": "db"}],
            DeletionProtectionEnabled=True,
            TableClass="STANDARD_INFREQUENT_ACCESS",
        )
    )
    ddb.create_table(**table("two", **ON_DEMAND))
    ddb.update_table(TableName="two", OnDemandThroughput={"MaxReadRequestUnits": 5})
    ddb.put_item(TableName="two", Item={"pk": {"S": "kept"}})
    before = {name: described(ddb, name) for name in ("one", "two")}
    ddb = reopen(ddb)
    assert ddb.list_tables()["TableNames"] == ["one", "two"]
    for name in ("one", "two"):
        assert described(ddb, name) == before[name]
    arn = before["one"]["TableArn"]
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "db"}]
    assert ddb.get_item(TableName="two", Key={"pk": {"S": "kept"}})["Item"] == {"pk": {"S": "kept"}}
    assert fails(ddb.delete_table, TableName="one")[0] == "ValidationException"


def test_a_deleted_table_stays_deleted_after_reopen(ddb, reopen):
    ddb.create_table(**table("tbl"))
    ddb.delete_table(TableName="tbl")
    ddb = reopen(ddb)
    assert ddb.list_tables()["TableNames"] == []
    ddb.create_table(**table("tbl"))
    assert described(ddb, "tbl")["ItemCount"] == 0


def test_an_update_survives_reopen(ddb, reopen):
    ddb.create_table(**table("tbl"))
    ddb.update_table(TableName="tbl", ProvisionedThroughput={"ReadCapacityUnits": 9, "WriteCapacityUnits": 9})
    ddb = reopen(ddb)
    assert described(ddb, "tbl")["ProvisionedThroughput"]["ReadCapacityUnits"] == 9


@pytest.mark.parametrize(
    "request_", [table("tbl"), table("tbl", **ON_DEMAND)], ids=["provisioned", "on_demand"]
)
def test_describe_table_response_parses_with_botocore(ddb, request_):
    ddb.create_table(**request_)
    described(ddb, "tbl")


def test_create_table_by_arn_names_the_table_inside(ddb):
    assert created(ddb, **table(ARN + "tbl"))["TableName"] == "tbl"
    assert fails(ddb.create_table, **table(ARN + "a;b")) == (
        "ValidationException",
        "Invalid TableArn: Invalid ResourceArn provided as input " + ARN + "a;b",
    )
