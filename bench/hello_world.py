"""The baseline: a hello-world ask-sdk-core skill, the floor for Limber's per-turn cost."""

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_request_type


class HelloLaunch(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input):
        return handler_input.response_builder.speak("Hello world.").ask("Say hello.").response


class HelloAnything(AbstractRequestHandler):
    """Answers any request the same way: the baseline for the same envelopes Limber gets."""

    def can_handle(self, handler_input):
        return True

    def handle(self, handler_input):
        return handler_input.response_builder.speak("Hello world.").ask("Say hello.").response


builder = SkillBuilder()
builder.add_request_handler(HelloLaunch())
builder.add_request_handler(HelloAnything())
lambda_handler = builder.lambda_handler()
