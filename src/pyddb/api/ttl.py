"""UpdateTimeToLive and DescribeTimeToLive (the sweeper and the statuses: model/ttl.py).

Texts (DynamoDB's, as SDK users match them: "TimeToLive is already enabled" is the message AWS answers an
enable of a table whose TTL is enabled, whatever the attribute; "TimeToLive is already disabled" for a disable
of a disabled table; "Time to live has been modified multiple times within a fixed interval" for a change
during the transition of the previous one). A disable naming another attribute than the enabled one is
refused with "TimeToLive is active on a different AttributeName: current AttributeName is <name>" (text not
confirmed against the service).
"""
from __future__ import annotations

from typing import Any, Dict

from pyddb.api import operation
from pyddb.errors import ValidationException



@operation("UpdateTimeToLive")
def update_time_to_live(model, request: Dict[str, Any]) -> Dict[str, Any]:
    spec = request["TimeToLiveSpecification"]
    enable, attr = bool(spec["Enabled"]), spec["AttributeName"]
    with model.lock:
        t = model.table(model.table_name(request["TableName"]), "UpdateTimeToLive")
        status, current = model.ttl.status(t)
        if status in ("ENABLING", "DISABLING"):
            raise ValidationException("Time to live has been modified multiple times within a fixed interval")
        if enable and status == "ENABLED":
            raise ValidationException("TimeToLive is already enabled")
        if not enable and status == "DISABLED":
            raise ValidationException("TimeToLive is already disabled")
        if not enable and current != attr:
            raise ValidationException("TimeToLive is active on a different AttributeName: current AttributeName"
                                      " is %s" % current)
        new = t.copy()
        new.extra = dict(new.extra or {})
        new.extra["ttl"] = {"attribute": attr, "enabled": enable, "at": round(model.clock(), 3)}
        model.save_table(new)
    return {"TimeToLiveSpecification": {"Enabled": enable, "AttributeName": attr}}


@operation("DescribeTimeToLive")
def describe_time_to_live(model, request: Dict[str, Any]) -> Dict[str, Any]:
    t = model.table(model.table_name(request["TableName"]), "DescribeTimeToLive")
    status, attr = model.ttl.status(t)
    d: Dict[str, Any] = {"TimeToLiveStatus": status}
    if attr is not None:
        d["AttributeName"] = attr
    return {"TimeToLiveDescription": d}


