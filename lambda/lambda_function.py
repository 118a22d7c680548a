"""AWS Lambda entry point: ``lambda_function.lambda_handler``."""

from limber import dataclass_cache

dataclass_cache.install()  # first: the bundle's prebuilt dataclass methods (see that module)

from limber.app import create_skill  # noqa: E402
from limber.skill.entry import handle_event  # noqa: E402

skill = create_skill()


def lambda_handler(event, context):
    return handle_event(skill, event, context)
