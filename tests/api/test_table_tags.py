"""TagResource, UntagResource, ListTagsOfResource in DynamoDB's terms: upserts, the 50-tag limit on the merged
set, the tag alphabet, the aws: prefix, resource ARNs and their errors. Sources: src/pyddb/validation/rules.py
(tag and ARN checks) and src/pyddb/api/tables.py (the table-dependent ones).
"""

import pytest
from test_table_helpers import ON_DEMAND, assert_botocore_shape, fails, invalid, strip, table

ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/tbl"
V = "ValidationException"


@pytest.fixture
def tbl(ddb):
    ddb.create_table(**table("tbl", **ON_DEMAND))
    return ARN


def tags(ddb, arn=ARN):
    response = ddb.list_tags_of_resource(ResourceArn=arn)
    assert_botocore_shape("ListTagsOfResource", response)
    return response["Tags"]


def tag(key, value="v"):
    return {"Key": key, "Value": value}


def test_a_new_table_has_no_tags(ddb, tbl):
    assert strip(ddb.list_tags_of_resource(ResourceArn=tbl)) == {"Tags": []}


def test_tag_list_upsert_and_untag(ddb, tbl):
    response = ddb.tag_resource(ResourceArn=tbl, Tags=[tag("a", "1"), tag("b", "2")])
    assert_botocore_shape("TagResource", response)
    assert strip(response) == {}
    assert tags(ddb) == [tag("a", "1"), tag("b", "2")]
    ddb.tag_resource(ResourceArn=tbl, Tags=[tag("a", "changed"), tag("c", "")])
    assert tags(ddb) == [tag("a", "changed"), tag("b", "2"), tag("c", "")]
    response = ddb.untag_resource(ResourceArn=tbl, TagKeys=["b", "never-set"])
    assert_botocore_shape("UntagResource", response)
    assert strip(response) == {}
    assert tags(ddb) == [tag("a", "changed"), tag("c", "")]


def test_tags_given_to_create_table_are_listed(ddb):
    ddb.create_table(**table("tbl", Tags=[tag("team", "db"), tag("env", "test")]))
    assert tags(ddb) == [tag("team", "db"), tag("env", "test")]


def test_tag_keys_are_case_sensitive_and_letters_of_any_script_are_fine(ddb, tbl):
    ddb.tag_resource(
        ResourceArn=tbl,
        Tags=[
            tag("Env", ""),
            tag("env", "x"),
            tag("sp ace", "a b+c-d=e.f_g:h/i@j"),
            tag("ключ", "表"),
            tag(" lead"),
        ],
    )
    assert [t["Key"] for t in tags(ddb)] == ["Env", "env", "sp ace", "ключ", " lead"]


def test_fifty_tags_then_only_upserts(ddb, tbl):
    fifty = [tag("k%02d" % i) for i in range(50)]
    ddb.tag_resource(ResourceArn=tbl, Tags=fifty)
    assert fails(ddb.tag_resource, ResourceArn=tbl, Tags=[tag("k50")]) == (
        V,
        "Number of Tags exceed the current limit for the provided ResourceArn",
    )
    assert fails(ddb.tag_resource, ResourceArn=tbl, Tags=[tag("k00", "new"), tag("k50")]) == (
        V,
        "Number of Tags exceed the current limit for the provided ResourceArn",
    )
    assert tags(ddb) == fifty  # nothing applied
    ddb.tag_resource(ResourceArn=tbl, Tags=[tag("k%02d" % i, "w") for i in range(50)])
    assert {t["Value"] for t in tags(ddb)} == {"w"}
    assert "NextToken" not in ddb.list_tags_of_resource(ResourceArn=tbl)


TAG_CASES = {
    "no_tags": ([], (V, "Atleast one Tag needs to be provided as Input.")),
    "aws_prefix": ([tag("aws:foo")], (V, "Tag Key cannot be prefixed with aws:, Key: aws:foo")),
    "aws_prefix_any_case": ([tag("AWS:foo")], (V, "Tag Key cannot be prefixed with aws:, Key: AWS:foo")),
    "hash_in_key": ([tag("bad#char")], (V, "The Tag Key provided is invalid, Key: bad#char")),
    "hash_in_value": ([tag("k", "bad#char")], (V, "The Tag Value provided is invalid, Value: bad#char")),
    "emoji_in_key": ([tag("\U0001f511")], (V, "The Tag Key provided is invalid, Key: \U0001f511")),
    "comma_in_value": ([tag("k", "a,b")], (V, "The Tag Value provided is invalid, Value: a,b")),
    "percent_in_value": ([tag("k", "100%")], (V, "The Tag Value provided is invalid, Value: 100%")),
    "duplicate_keys": (
        [tag("dup", "1"), tag("dup", "2")],
        (V, "Duplicate Tag Keys provided as input: Duplicate Tag Key found dup"),
    ),
    "fifty_one": (
        [tag("k%d" % i) for i in range(51)],
        (V, "Number of Tags exceed the current limit for the provided ResourceArn"),
    ),
    "good_then_bad": (
        [tag("good"), tag("aws:zzz")],
        (V, "Tag Key cannot be prefixed with aws:, Key: aws:zzz"),
    ),
}


def test_tag_resource_rejections_apply_nothing(ddb, tbl):
    wrong = {}
    for name, (request_tags, expected) in sorted(TAG_CASES.items()):
        got = fails(ddb.tag_resource, ResourceArn=tbl, Tags=request_tags)
        if got != expected:
            wrong[name] = got
    assert wrong == {}
    assert tags(ddb) == []


def test_untag_resource_rejections(ddb, tbl):
    ddb.tag_resource(ResourceArn=tbl, Tags=[tag("keep")])
    assert fails(ddb.untag_resource, ResourceArn=tbl, TagKeys=[]) == (
        V,
        "Atleast one Tag Key needs to be provided as Input.",
    )
    assert fails(ddb.untag_resource, ResourceArn=tbl, TagKeys=["keep", "aws:foo"]) == (
        V,
        "Tag Key cannot be prefixed with aws:, Key: aws:foo",
    )
    assert fails(ddb.untag_resource, ResourceArn=tbl, TagKeys=["k%d" % i for i in range(51)]) == (
        V,
        "Number of Tags exceed the current limit for the provided ResourceArn",
    )
    assert tags(ddb) == [tag("keep")]


# ---- resource ARNs ---------------------------------------------------------------------------------------

ARN_CASES = {
    "bare_name": ("tbl", invalid("ARNs must start with 'arn:': tbl")),
    "not_dynamodb": (
        "arn:aws:s3:::bucket",
        invalid("Provided Arn is not a DynamoDB resource arn: arn:aws:s3:::bucket"),
    ),
    "backup": (
        ARN + "/backup/01234567890123-abcdefgh",
        invalid("Provided Arn is not a DynamoDB resource arn: " + ARN + "/backup/01234567890123-abcdefgh"),
    ),
    "index": (
        ARN + "/index/gsi",
        invalid(
            "Invalid resource arn provided, only table or stream is accepted. Provided resource arn: "
            + ARN
            + "/index/gsi"
        ),
    ),
    "short_table_name": (  # dynalite test/tagResource.js
        "arn:aws:dynamodb:us-east-1:000000000000:table/ab",
        (
            V,
            "Invalid TableArn: Invalid ResourceArn provided as input "
            "arn:aws:dynamodb:us-east-1:000000000000:table/ab",
        ),
    ),
    "other_region": (
        "arn:aws:dynamodb:eu-west-1:000000000000:table/tbl",
        (
            V,
            "Invalid TableArn: Invalid ResourceArn provided as input "
            "arn:aws:dynamodb:eu-west-1:000000000000:table/tbl",
        ),
    ),
    "other_account": (
        "arn:aws:dynamodb:us-east-1:123456789012:table/tbl",
        ("AccessDeniedException", "Access is denied"),
    ),
    "missing_table": (
        "arn:aws:dynamodb:us-east-1:000000000000:table/nope",
        (
            "ResourceNotFoundException",
            "Requested resource not found: ResourceArn: arn:aws:dynamodb:us-east-1:000000000000:table/nope "
            "not found",
        ),
    ),
}


def test_resource_arn_errors(ddb, tbl):
    wrong = {}
    extras = {"tag_resource": {"Tags": [tag("k")]}, "untag_resource": {"TagKeys": ["k"]}}
    for operation in ("tag_resource", "untag_resource", "list_tags_of_resource"):
        extra = extras.get(operation, {})
        for name, (arn, expected) in sorted(ARN_CASES.items()):
            got = fails(getattr(ddb, operation), ResourceArn=arn, **extra)
            if got != expected:
                wrong[operation, name] = got
    assert wrong == {}
    assert tags(ddb) == []


def test_the_arn_is_checked_before_the_tags(ddb, tbl):
    assert fails(ddb.tag_resource, ResourceArn="tbl", Tags=[]) == invalid("ARNs must start with 'arn:': tbl")


def test_empty_tags_are_rejected_before_the_table_is_looked_at(ddb):
    assert fails(
        ddb.tag_resource, ResourceArn="arn:aws:dynamodb:us-east-1:000000000000:table/nope", Tags=[]
    ) == (
        V,
        "Atleast one Tag needs to be provided as Input.",
    )


def test_tags_go_with_the_table(ddb, tbl):
    ddb.tag_resource(ResourceArn=tbl, Tags=[tag("a")])
    ddb.delete_table(TableName="tbl")
    assert fails(ddb.list_tags_of_resource, ResourceArn=tbl)[0] == "ResourceNotFoundException"
    ddb.create_table(**table("tbl", **ON_DEMAND))
    assert tags(ddb) == []


def test_tags_survive_reopen(ddb, reopen, tbl):
    ddb.tag_resource(ResourceArn=tbl, Tags=[tag("a", "1"), tag("b", "2")])
    ddb.untag_resource(ResourceArn=tbl, TagKeys=["a"])
    ddb = reopen(ddb)
    assert tags(ddb) == [tag("b", "2")]
