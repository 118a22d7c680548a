"""AWS Lambda entry point: ``lambda_function.lambda_handler``."""

from limber.app import create_skill
from limber.skill.entry import handle_event

skill = create_skill()


def lambda_handler(event, context):
    return handle_event(skill, event, context)
