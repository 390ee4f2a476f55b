"""DynamoDB's five expression languages: one tokenizer, one parser, one resolver, one evaluator.

PARSE (cached by kind and text; syntax and every check that needs no placeholders)
    parse_condition(text, kind="ConditionExpression") -> Parsed      kind: ConditionExpression | FilterExpression
    parse_key_condition(text) -> Parsed
    parse_projection(text) -> Parsed
    parse_update(text) -> Parsed
RESOLVE (per request: the placeholders and the checks that need them)
    r = Resolver(expression_attribute_names, expression_attribute_values)
    r.condition(parsed) -> callable(item) -> bool
    r.update(parsed) -> UpdatePlan            .apply(item) -> new item, .project(item), .paths, .top_level_names()
    r.projection(parsed) -> ProjectionPlan    .apply(item) -> projected item, .paths
    r.key_condition(parsed, hash_key, range_key=None, key_types=None) -> KeyCondition
        = r.key_condition_schema(r.key_conditions(parsed), hash_key, ...): its schema-free and schema halves
    r.check_unused()                          after all of the request's expressions
ONE-SHOT HELPERS (resolve, check unused placeholders, run)
    evaluate_condition(parsed, item, names=None, values=None) -> bool
    apply_update(parsed, item, names=None, values=None) -> new item
    project(parsed_or_plan, item, names=None) -> projected item
Every rejection raises pyddb.errors.ValidationException (messages.ValidationException until that module
exists) with DynamoDB's exact text; see messages.py for the texts and where each was confirmed.
"""
from .ast import Parsed
from .cache import ParseCache
from .evaluate import KeyCondition, ProjectionPlan, UpdatePlan, equal, get_path
from .messages import ValidationException
from .parser import parse_condition_uncached, parse_projection_uncached, parse_update_uncached
from .resolve import Resolver

CACHE = ParseCache()

__all__ = [
    "CACHE", "KeyCondition", "Parsed", "ProjectionPlan", "Resolver", "UpdatePlan", "ValidationException",
    "apply_update", "equal", "evaluate_condition", "get_path", "parse_condition", "parse_key_condition",
    "parse_projection", "parse_update", "project",
]


def parse_condition(text: str, kind: str = "ConditionExpression") -> Parsed:
    return CACHE.get((kind, text), lambda: parse_condition_uncached(text, kind))


def parse_key_condition(text: str) -> Parsed:
    kind = "KeyConditionExpression"
    return CACHE.get((kind, text), lambda: parse_condition_uncached(text, kind))


def parse_projection(text: str) -> Parsed:
    return CACHE.get(("ProjectionExpression", text), lambda: parse_projection_uncached(text))


def parse_update(text: str) -> Parsed:
    return CACHE.get(("UpdateExpression", text), lambda: parse_update_uncached(text))


def evaluate_condition(parsed: Parsed, item: dict, names=None, values=None) -> bool:
    r = Resolver(names, values)
    test = r.condition(parsed)
    r.check_unused()
    return test(item)


def apply_update(parsed: Parsed, item: dict, names=None, values=None) -> dict:
    r = Resolver(names, values)
    plan = r.update(parsed)
    r.check_unused()
    return plan.apply(item)


def project(parsed, item: dict, names=None) -> dict:
    if isinstance(parsed, ProjectionPlan):
        return parsed.apply(item)
    r = Resolver(names, None)
    plan = r.projection(parsed)
    r.check_unused()
    return plan.apply(item)
