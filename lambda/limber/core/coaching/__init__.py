"""Turns inside a routine: start, next, back, repeat, skip, pause, resume, stop, the hold
length, questions about the stretch, and the ways to make it fit the person.

``deliver`` builds every step a person hears; ``session`` a run from start to finish;
``steps`` moving through it; ``info`` questions about where we are; ``ways`` an easier or
off-the-floor version, slower speech and the full set-up on request.
"""

from limber.core.coaching.deliver import (
    INTERRUPT_NOTE,
    PAUSED_PROMPT,
    STEP_REPROMPT,
    carry_on_prompt,
    deliver,
    step_prompt,
)
from limber.core.coaching.info import (
    describe_stretch,
    how_many_left,
    minutes_of,
    seconds_from,
    set_hold,
    whats_next,
    which_side,
    who_should_skip,
)
from limber.core.coaching.session import (
    PAUSE_PROMPT,
    PAUSE_REPROMPT,
    answer_offer,
    finish,
    moved_on,
    pause,
    resume,
    speakable,
    start,
    stop,
    suggestion,
)
from limber.core.coaching.steps import (
    done,
    go_on,
    next_step,
    previous_step,
    repeat_step,
    routine_called,
    skip_stretch,
    start_over,
)
from limber.core.coaching.ways import (
    answer_off_floor,
    briefer,
    easier,
    faster,
    floor_again,
    full_setup,
    harder,
    off_floor,
    slower,
)

__all__ = [
    "INTERRUPT_NOTE", "PAUSED_PROMPT", "PAUSE_PROMPT", "PAUSE_REPROMPT", "STEP_REPROMPT",
    "answer_off_floor", "answer_offer", "briefer", "carry_on_prompt", "deliver", "describe_stretch",
    "done", "easier", "faster",
    "finish", "floor_again", "full_setup", "go_on", "harder", "how_many_left", "minutes_of", "moved_on",
    "next_step",
    "off_floor", "pause", "previous_step", "repeat_step", "resume",
    "routine_called", "seconds_from", "set_hold", "skip_stretch", "slower", "speakable", "start",
    "start_over", "step_prompt", "stop", "suggestion", "whats_next", "which_side", "who_should_skip",
]
