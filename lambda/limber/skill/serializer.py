"""The SDK's DefaultSerializer, with what it recomputes on every field worked out once.

Why not the SDK's own: for each of the ~33 model objects in a request envelope,
``DefaultSerializer`` re-parses the type string ("list[...]", "dict(...)") with a regular
expression, re-imports the model's module with ``__import__``, rebuilds the class's
attribute map, and parses timestamps with dateutil; that is most of a turn's cost. Here
each type string becomes a plan once (cached), and ISO-8601 timestamps go through
``datetime.fromisoformat`` (dateutil only for anything else).

Writing a response walks the same way with each model class's keys worked out once
(the SDK rebuilds, and mutates, the class's attribute map for every object it writes).

The result is the same object graph, and the same exception where the SDK raises one:
tests/test_serializer.py checks both against ``DefaultSerializer`` on generated envelopes
and on every kind of type string.
"""

from __future__ import annotations

import re
import sys
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer

_LIST = re.compile(r"list\[(.*)\]")
_DICT = re.compile(r"dict\(([^,]*), (.*)\)")
_NATIVE = DefaultSerializer.NATIVE_TYPES_MAPPING
_PRIMITIVES = DefaultSerializer.PRIMITIVE_TYPES


def _load_class(name: str):
    module_name, _, class_name = name.rpartition(".")
    try:
        if not module_name:
            return getattr(sys.modules[DefaultSerializer.__module__], class_name)
        return getattr(__import__(module_name, fromlist=[class_name]), class_name)
    except Exception as err:
        raise SerializationException(f"Unable to resolve class {name} from installed modules: {err}") from err


def _primitive(kind):
    def cast(payload):
        try:
            return kind(payload)
        except UnicodeEncodeError:
            return str(payload)
        except TypeError:
            return payload
        except ValueError as err:
            raise SerializationException(f"Failed to parse {payload} into '{kind.__name__}' object") from err

    return cast


def _timestamp(kind):
    def parse(payload):
        try:
            parsed = datetime.fromisoformat(payload)
        except (TypeError, ValueError):
            from dateutil.parser import parse as dateutil_parse  # the SDK's own parser, as a fallback

            try:
                parsed = dateutil_parse(payload)
            except ValueError as err:  # only what the SDK catches; the rest rises as there
                raise SerializationException(
                    f"Failed to parse {payload} into '{kind.__name__}' object"
                ) from err
        return parsed.date() if kind is date else parsed

    return parse


def _identity(payload):
    return payload


@cache
def plan_for(obj_type):
    """A function from payload to object for ``obj_type`` (a type string or a class)."""
    if isinstance(obj_type, str):
        if obj_type.startswith("list["):
            found = _LIST.match(obj_type)
            if found is None:
                return _none_passes(lambda payload: [])
            inner = found.group(1)
            # Item plans are looked up per item (a cache hit): as in the SDK, a list whose item
            # type can't be resolved is only an error when it has items.
            if "," in inner:
                parts = [part.strip() for part in inner.split(",")]
                return _none_passes(
                    lambda payload: [plan_for(t)(item) for item, t in zip(payload, parts, strict=False)]
                )
            inner = inner.strip()
            return _none_passes(lambda payload: [plan_for(inner)(item) for item in payload])
        if obj_type.startswith("dict("):
            found = _DICT.match(obj_type)
            if found is None:
                return _none_passes(lambda payload: {})
            value_type = found.group(2)
            return _none_passes(lambda payload: {k: plan_for(value_type)(v) for k, v in payload.items()})
        obj_type = _NATIVE[obj_type] if obj_type in _NATIVE else _load_class(obj_type)
    return _plan_for_class(obj_type)


def _plan_for_class(kind):
    if kind in _PRIMITIVES:
        return _none_passes(_primitive(kind))
    if kind is object:
        return _identity
    if kind in (date, datetime):
        return _none_passes(_timestamp(kind))
    return _none_passes(_model(kind))


def _none_passes(plan):
    return lambda payload: None if payload is None else plan(payload)


def _model(kind):
    plan = _model_plan(kind)

    def guarded(payload):
        # As the SDK: whatever goes wrong inside a model is a SerializationException.
        try:
            return plan(payload)
        except SerializationException:
            raise
        except Exception as err:
            raise SerializationException(str(err)) from err

    return guarded


def _model_plan(kind):
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind
    if not hasattr(kind, "deserialized_types"):
        return _identity
    if hasattr(kind, "get_real_child_model"):
        # The concrete class depends on the payload's discriminator ("type").
        def by_discriminator(payload):
            name = kind.get_real_child_model(payload)
            if not name:
                raise SerializationException(
                    f"Couldn't resolve object by discriminator type for {kind} class"
                )
            return _fields(_load_class_cached(name))(payload)

        return by_discriminator
    return _fields(kind)


@cache
def _load_class_cached(name: str):
    return _load_class(name)


@cache
def _fields(kind):
    types = kind.deserialized_types
    attribute_map = dict(getattr(kind, "attribute_map", {}))
    attribute_map.update({k: k for k in types if k not in attribute_map})
    known_keys = frozenset(attribute_map.values())
    # The plans are looked up lazily: models refer to each other in cycles.
    steps = [(name, key, types[name]) for name, key in attribute_map.items()]

    def build(payload):
        model = kind()
        for name, key, type_name in steps:
            if key in payload:
                value = payload[key]
                setattr(model, name, None if value is None else plan_for(type_name)(value))
        for key in payload:
            if key not in known_keys:
                setattr(model, key, payload[key])
        return model

    return build


@cache
def _keys(kind) -> tuple[tuple[str, str], ...]:
    """(attribute, JSON key) for a model class, in the order the SDK walks them."""
    attribute_map = getattr(kind, "attribute_map", {})
    return tuple((attr, attribute_map.get(attr, attr)) for attr in kind.deserialized_types)


def _serialize(obj):
    if obj is None or isinstance(obj, _PRIMITIVES):
        return obj
    if isinstance(obj, list):
        return [_serialize(item) for item in obj]
    if isinstance(obj, tuple):
        return tuple(_serialize(item) for item in obj)
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Decimal):
        return int(obj) if obj % 1 == 0 else float(obj)
    if isinstance(obj, dict):
        return {key: _serialize(value) for key, value in obj.items()}
    out = {}
    for attr, key in _keys(type(obj)):
        value = getattr(obj, attr)
        if value is not None:
            out[key] = _serialize(value)
    return out


class FastSerializer(DefaultSerializer):
    """``DefaultSerializer`` with cached plans for reading, and cached key lists for writing."""

    def serialize(self, obj):
        return _serialize(obj)

    def deserialize(self, payload, obj_type):
        if payload is None:
            return None
        import json

        try:
            data = json.loads(payload)
        except Exception as err:
            raise SerializationException(f"Couldn't parse response body: {payload}") from err
        if data is None:
            return None
        return plan_for(obj_type)(data)
