"""Generate `service_shapes.json`: the input shapes of DynamoDB and DynamoDB Streams from botocore's model.

botocore ships the service models pyddb validates against, but botocore is not a runtime dependency of pyddb,
so the part that validation needs is extracted once, checked in, and loaded by `shapes.py` at run time.

    python -m pyddb.validation.gen_shapes            # rewrite service_shapes.json next to this file
    python -m pyddb.validation.gen_shapes --check    # exit 1 if the checked-in file is stale

OUTPUT FORMAT (compact JSON, no documentation):
    {"source": {"botocore": "<version>"},
     "services": {"dynamodb" | "dynamodbstreams": {
         "operations": {"PutItem": "PutItemInput", ...},          # operation -> input shape name
         "errors": ["ConditionalCheckFailedException", ...],        # the modelled error shapes
         "shapes": {name: shape}}}}                                 # every shape reachable from an input
    shape = {"type": "structure", "members": [[member, shape name], ...], "required": [member, ...]}
          | {"type": "list", "member": name, "min"?: n, "max"?: n}
          | {"type": "map", "key": name, "value": name, "min"?: n, "max"?: n}
          | {"type": "string", "min"?, "max"?, "pattern"?, "enum"?: [...]}
          | {"type": "integer" | "long" | "double", "min"?, "max"?}
          | {"type": "boolean" | "blob" | "timestamp"}
Member order is the model's; `shapes.py` overrides it where DynamoDB reports in another order.
"""

from __future__ import annotations

import gzip
import json
import os
import sys

SERVICES = {"dynamodb": "2012-08-10", "dynamodbstreams": "2012-08-10"}
KEEP = ("min", "max", "pattern", "enum")
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "service_shapes.json")


def _load_model(botocore_dir: str, service: str, version: str) -> dict:
    base = os.path.join(botocore_dir, "data", service, version, "service-2.json")
    if os.path.exists(base + ".gz"):
        with gzip.open(base + ".gz", "rt", encoding="utf-8") as f:
            return json.load(f)
    with open(base, encoding="utf-8") as f:
        return json.load(f)


def _compact(shape: dict) -> dict:
    t = shape["type"]
    out: dict = {"type": t}
    if t == "structure":
        out["members"] = [[name, m["shape"]] for name, m in shape.get("members", {}).items()]
        if shape.get("required"):
            out["required"] = list(shape["required"])
    elif t == "list":
        out["member"] = shape["member"]["shape"]
    elif t == "map":
        out["key"] = shape["key"]["shape"]
        out["value"] = shape["value"]["shape"]
    for k in KEEP:
        if k in shape:
            out[k] = shape[k]
    return out


def _reachable(shapes: dict, roots) -> list:
    seen, stack = set(), list(roots)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        s = shapes[name]
        if s["type"] == "structure":
            stack.extend(m["shape"] for m in s.get("members", {}).values())
        elif s["type"] == "list":
            stack.append(s["member"]["shape"])
        elif s["type"] == "map":
            stack.extend((s["key"]["shape"], s["value"]["shape"]))
    return sorted(seen)


def build(botocore_dir: str, botocore_version: str) -> dict:
    services = {}
    for service, version in SERVICES.items():
        model = _load_model(botocore_dir, service, version)
        shapes = model["shapes"]
        ops = {
            name: op["input"]["shape"] for name, op in sorted(model["operations"].items()) if "input" in op
        }
        services[service] = {
            "operations": ops,
            "errors": sorted(n for n, s in shapes.items() if s.get("exception")),
            "shapes": {n: _compact(shapes[n]) for n in _reachable(shapes, ops.values())},
        }
    return {"source": {"botocore": botocore_version}, "services": services}


def render(data: dict) -> str:
    # one shape per line: small diffs when botocore changes, still compact
    lines = ['{"source": %s,' % json.dumps(data["source"]), ' "services": {']
    svcs = list(data["services"].items())
    for i, (svc, d) in enumerate(svcs):
        lines.append('  %s: {"operations": %s,' % (json.dumps(svc), json.dumps(d["operations"])))
        lines.append('   "errors": %s,' % json.dumps(d["errors"]))
        lines.append('   "shapes": {')
        items = list(d["shapes"].items())
        for j, (n, s) in enumerate(items):
            lines.append(
                "    %s: %s%s"
                % (json.dumps(n), json.dumps(s, separators=(",", ":")), "," if j < len(items) - 1 else "")
            )
        lines.append("  }}" + ("," if i < len(svcs) - 1 else ""))
    lines.append("}}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    import botocore  # only the generator needs botocore

    text = render(build(os.path.dirname(botocore.__file__), botocore.__version__))
    if "--check" in argv:
        with open(OUT, encoding="utf-8") as f:
            current = json.load(f)
        fresh = json.loads(text)
        current["source"] = fresh["source"] = None  # a botocore upgrade alone is not staleness
        if current != fresh:
            print("service_shapes.json is stale: run python -m pyddb.validation.gen_shapes", file=sys.stderr)
            return 1
        return 0
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote %s (botocore %s)" % (OUT, botocore.__version__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
