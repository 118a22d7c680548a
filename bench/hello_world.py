"""The baseline: a hello-world ask-sdk-core skill, the floor for Limber's per-turn cost."""

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_request_type


class HelloLaunch(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input):
        return handler_input.response_builder.speak("Hello world.").ask("Say hello.").response


builder = SkillBuilder()
builder.add_request_handler(HelloLaunch())
lambda_handler = builder.lambda_handler()
