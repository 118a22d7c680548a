"""Composition root: the skill with the store LIMBER_STORE names.

Lambda, the web host and the console all start here, so the skill layer never imports a
storage backend and each backend stays an adapter plugged in from above.
"""

from __future__ import annotations

from limber.skill.builder import FROM_ENV, build_skill


def create_skill(skill_id=FROM_ENV, store: str | None = None):
    from limber import storage

    adapter = storage.make_adapter(store) if store else storage.from_env()
    return build_skill(skill_id=skill_id, persistence_adapter=adapter)
