"""Progress in Amazon DynamoDB: the store on AWS Lambda.

Why not the official ``ask-sdk-dynamodb-persistence-adapter``: its ``save_attributes`` is a
plain ``put_item`` (no condition, no version), so two devices saving the same person lose
one update; and it builds ``boto3.resource("dynamodb")`` as a default argument, at import
time, which raises ``NoRegionError`` wherever no region is configured. This adapter uses
boto3 directly and is only imported when ``LIMBER_STORE=dynamodb:TABLE``.

Item: ``id`` (string partition key: SHA-256 of the user id), ``version`` (number),
``profile`` (map, see limber.core.progress) and ``expires_at`` (epoch seconds, refreshed on
every write: DynamoDB's TTL removes people who have not used the skill for 13 months).

Settings come from boto3's standard sources: endpoint from ``AWS_ENDPOINT_URL_DYNAMODB`` or
``AWS_ENDPOINT_URL``, region from ``AWS_DEFAULT_REGION`` or ``AWS_REGION``. The table must
exist (see scripts/create_local_table.py); Lambda never creates tables.

Time bounds: every call ends by the turn's storage deadline (limber.storage.TURN_SECONDS,
shared by all calls of a turn). Each request is tried 3 times in all (botocore's DynamoDB
retry policy: 50 then 100 ms between network errors, throttled or 5xx answers), but a hook
on botocore's ``before-send`` event gives every attempt only the time left as its read
timeout and stops attempts once none is left. Older botocore ignores that per-request
timeout, so the call also runs on a small worker pool and the turn stops waiting for it at
the deadline whatever the socket does (the worker then ends within its 1 s connect and
read timeouts). A stopped server is reported in well under a second, a store that accepts
connections and never answers at the deadline, as StorageUnavailable.

Calls made, for IAM: GetItem (ConsistentRead), PutItem (with a ConditionExpression and
ReturnValuesOnConditionCheckFailure) and DeleteItem, on the table only.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from limber.storage import (
    NOT_KNOWN,
    TTL_SECONDS,
    UNVERSIONED,
    WRITTEN,
    Deadline,
    ProgressAdapter,
    StorageConfigError,
    StorageUnavailable,
)

CLIENT_CONFIG = Config(
    # total_max_attempts counts the first try; botocore's "max_attempts" would mean 3 retries.
    # "legacy" mode applies botocore's DynamoDB retry policy (50 then 100 ms between tries),
    # which fits a 2 s turn; "standard" waits up to 1 s then 2 s after a throttled answer.
    retries={"mode": "legacy", "total_max_attempts": 3},
    connect_timeout=1,
    read_timeout=1,
)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
# Shared by every adapter in the process: Lambda serves one turn at a time, a web host a few
# per thread; a call waiting here past its deadline is cancelled, never run late.
_WORKERS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="limber-dynamodb")
_attempt = threading.local()  # the deadline of the call this worker thread is making


def plain(value: Any) -> Any:
    """DynamoDB values as JSON-like Python: Decimal to int or float, sets to sorted lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((plain(item) for item in value), key=repr)
    if isinstance(value, Binary):
        return bytes(value)
    return value


def _stored_version(version: Any) -> int:
    usable = isinstance(version, int) and not isinstance(version, bool) and version > 0
    return version if usable else UNVERSIONED


def _with_deadline(deadline: Deadline, primitive, *args: Any) -> Any:
    _attempt.deadline = deadline
    try:
        return primitive(*args, deadline.check())
    finally:
        _attempt.deadline = None


def _limit_attempt(request: Any, **_: Any) -> None:
    """botocore ``before-send``: each attempt (retries too) waits only for the time left."""
    deadline = getattr(_attempt, "deadline", None)
    if deadline is None:
        return
    left = deadline.check()  # raised here, botocore stops retrying and re-raises it
    context = getattr(request, "context", None)
    if isinstance(context, dict):
        context["read_timeout"] = left


class DynamoDbAdapter(ProgressAdapter):
    def __init__(self, table_name: str, client: Any = None) -> None:
        super().__init__()
        self.table_name = table_name
        if client is None:
            region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION")
            try:
                # The default session caches service models: the next client costs ~2 ms.
                client = boto3.client("dynamodb", region_name=region or None, config=CLIENT_CONFIG)
            except BotoCoreError as error:
                raise StorageConfigError(f"cannot set up DynamoDB: {error}") from error
        self.client = client
        client.meta.events.register("before-send.dynamodb", _limit_attempt)

    def _bounded(self, deadline: Deadline, primitive, *args: Any) -> Any:
        left = deadline.check()
        future = _WORKERS.submit(_with_deadline, deadline, primitive, *args)
        try:
            return future.result(timeout=left)
        except FutureTimeout:
            future.cancel()
            raise StorageUnavailable(
                f"DynamoDB did not answer within the turn's {deadline.seconds:g} s"
            ) from None

    def _key(self, key: str) -> dict[str, Any]:
        return {"id": {"S": key}}

    def _call(self, action: str, **request: Any) -> dict[str, Any]:
        try:
            return getattr(self.client, action)(TableName=self.table_name, **request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise
            raise StorageUnavailable(f"DynamoDB {action} on {self.table_name} failed: {error}") from error
        except BotoCoreError as error:  # connection refused, timeouts, no credentials
            raise StorageUnavailable(f"DynamoDB {action} failed: {error}") from error

    def _read(self, key: str, timeout: float) -> tuple[Any, int] | None:
        # Strongly consistent: a read after a conflict must see the write that won.
        answer = self._call("get_item", Key=self._key(key), ConsistentRead=True)
        item = answer.get("Item")
        return None if item is None else self._record(item)

    @staticmethod
    def _record(item: dict[str, Any]) -> tuple[Any, int]:
        values = {name: plain(_deserializer.deserialize(value)) for name, value in item.items()}
        if "profile" in values:
            raw = values["profile"]
        else:  # some other writer's shape: hand migrate what is there, to repair and report
            raw = {k: v for k, v in values.items() if k not in ("id", "version", "expires_at")}
        return raw, _stored_version(values.get("version"))

    def _write(
        self, key: str, profile: dict[str, Any], expected: int, version: int, timeout: float
    ) -> Any:
        if expected == 0:
            condition, values = "attribute_not_exists(id)", {}
        elif expected == UNVERSIONED:
            # _stored_version's test, done by DynamoDB. (A fractional version, which nothing
            # writes, would keep conflicting and end as StorageUnavailable.)
            condition = (
                "attribute_exists(id) AND (attribute_not_exists(#v)"
                " OR NOT attribute_type(#v, :number) OR #v < :one)"
            )
            values = {":number": {"S": "N"}, ":one": {"N": "1"}}
        else:
            condition, values = "#v = :expected", {":expected": {"N": str(expected)}}
        item = {
            **self._key(key),
            "version": {"N": str(version)},
            "profile": _serializer.serialize(profile),
            "expires_at": {"N": str(int(time.time()) + TTL_SECONDS)},
        }
        request: dict[str, Any] = {
            "Item": item,
            "ConditionExpression": condition,
            # A conflict then carries the item that won: merged without another read.
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if "#v" in condition:
            request["ExpressionAttributeNames"] = {"#v": "version"}
        if values:
            request["ExpressionAttributeValues"] = values
        try:
            self._call("put_item", **request)
        except ClientError as conflict:  # only ConditionalCheckFailedException gets here
            current = conflict.response.get("Item")
            # No item: deleted meanwhile, or a store that does not return it (dynalite).
            return NOT_KNOWN if current is None else self._record(current)
        return WRITTEN

    def _delete(self, key: str, timeout: float) -> None:
        self._call("delete_item", Key=self._key(key))
