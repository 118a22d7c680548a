"""Create the DynamoDB table Limber's progress adapter expects, for local or test use.

The skill never creates tables (on AWS the table belongs to the deployment template); this
script makes one against whatever endpoint boto3 is configured for, typically a local
DynamoDB or moto server:

    AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:5000 AWS_DEFAULT_REGION=us-east-1 \\
    AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \\
        python scripts/create_local_table.py limber-progress

Then run the skill with ``LIMBER_STORE=dynamodb:limber-progress``. The table has a string
partition key ``id``, on-demand billing, and TTL on ``expires_at`` (the adapter refreshes it
on every write, so people inactive for 13 months are removed). An existing table is left as
it is, which makes the script safe to run twice.
"""

from __future__ import annotations

import argparse
import os
import sys

import boto3


def create_table(client, table_name: str) -> bool:
    """Create the table and enable TTL; False when it already existed."""
    try:
        client.create_table(
            TableName=table_name,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    except client.exceptions.ResourceInUseException:
        return False
    client.get_waiter("table_exists").wait(
        TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    try:
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
        )
    except client.exceptions.ClientError as error:
        # dynalite has no TTL; items simply never expire on it, which is fine locally.
        if error.response.get("Error", {}).get("Code") != "UnknownOperationException":
            raise
        print(f"note: this endpoint does not support TTL; {table_name} items will not expire")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table", nargs="?", default="limber-progress", help="table name")
    args = parser.parse_args(argv)
    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION")
    client = boto3.client("dynamodb", region_name=region or None)
    created = create_table(client, args.table)
    where = client.meta.endpoint_url
    print(f"{'created' if created else 'already exists'}: {args.table} at {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
