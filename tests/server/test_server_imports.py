"""`pyddb serve` starts without loading boto3 or botocore (about 0.1 s of imports it never uses: measured with
`python -X importtime -c "import pyddb.server.app"`, see the commit message), while pyddb.types.Binary stays
boto3's own class for code that uses it (attrvalue.binary_class resolves it on first use)."""
import subprocess
import sys

import pytest


def run(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.parametrize("module", ["pyddb.server.app", "pyddb.server", "pyddb.cli", "pyddb.types", "pyddb.api"])
def test_the_server_path_does_not_import_boto3_or_botocore(module):
    code = ("import sys, importlib; importlib.import_module(%r); "
            "print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))" % module)
    assert run(code) == "[]"


def test_binary_is_boto3s_class_and_round_trips_either_way_it_was_imported():
    code = """
from decimal import Decimal
from pyddb.types import attrvalue
import pyddb.types
import boto3.dynamodb.types as bt
b = bt.Binary(b"\\x01")                                 # made by user code before pyddb resolved the class
assert attrvalue.serialize(b) == {"B": b"\\x01"}
assert attrvalue.serialize({b, b"\\x02"}) in ({"BS": [b"\\x01", b"\\x02"]}, {"BS": [b"\\x02", b"\\x01"]})
assert attrvalue.Binary is bt.Binary and pyddb.types.Binary is bt.Binary
from pyddb.types.attrvalue import Binary
assert Binary is bt.Binary
got = attrvalue.deserialize({"B": b"\\x01"})
assert isinstance(got, bt.Binary) and got == b"\\x01"
assert attrvalue.deserialize({"BS": [b"x"]}) == {bt.Binary(b"x")}
assert attrvalue.serialize(bytearray(b"y")) == {"B": b"y"} and attrvalue.serialize(Decimal(1)) == {"N": "1"}
print("ok")
"""
    assert run(code) == "ok"


def test_serialize_refuses_what_is_not_a_value_without_importing_boto3():
    code = """
import sys
from pyddb.types import attrvalue
try:
    attrvalue.serialize(object())
except TypeError as e:
    print("TypeError", "boto3" in sys.modules)
"""
    assert run(code) == "TypeError False"
