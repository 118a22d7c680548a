"""AWS Lambda entry point: ``lambda_function.lambda_handler``.

Init (this import) runs with the cyclic garbage collector paused: importing allocates tens of
thousands of objects that all stay alive (modules, classes, functions), so the collections it
would trigger find nothing to free; pausing saved about 4 % of the import in bench/bundle.py.
Then ``gc.freeze()`` moves everything init made out of the collector's sight before it is
switched back on: otherwise the first collection, in the first request, walks every object of
init at once (it cost a turn that loads the symptom lexicon about 20 ms), and every full
collection after it walks them again. They live as long as the process anyway.
"""

import gc

gc.disable()

from limber import dataclass_cache  # noqa: E402

dataclass_cache.install()  # before any dataclass is defined: the bundle's prebuilt methods

from limber.app import create_skill  # noqa: E402
from limber.skill.entry import handle_event  # noqa: E402

try:
    skill = create_skill()
finally:
    gc.freeze()  # init's objects are permanent: no collection walks them again
    gc.enable()


def lambda_handler(event, context):
    return handle_event(skill, event, context)
