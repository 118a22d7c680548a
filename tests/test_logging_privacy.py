"""What a person says never reaches the logs, even when a turn fails: errors are logged by
type and place, not by message (a message can quote a slot value or a symptom)."""

from __future__ import annotations

import logging

from alexa import Conversation
from limber.core import menu


def test_a_failing_turn_logs_the_error_type_but_not_its_words(lambda_handler, monkeypatch, caplog):
    said_by_the_person = "my leg has gone numb and I wet myself"

    def broken(*args, **kwargs):
        raise ValueError(said_by_the_person)  # as a slot value would reach a message

    monkeypatch.setattr(menu, "list_routines", broken)
    caplog.set_level(logging.DEBUG)
    person = Conversation(lambda_handler)
    person.launch()
    said = person.say("ListRoutinesIntent")
    assert said  # the person still hears a recovery line
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "ValueError" in logged and "turn failed" in logged
    assert "numb" not in logged and "wet myself" not in logged
    assert all(record.exc_info is None for record in caplog.records)  # no message via a traceback
