"""A weekly goal and what to do today: pure, from exercise facts only.

Only what the person chose and did feeds this: their goal (times a week), which routines
they finished recently, and which they skipped or found too hard. Never pain or symptoms
(Alexa's policies forbid a skill storing health information).
"""

from limber.core.plan.goal import GOAL_RANGE, clamp_goal, goal_progress
from limber.core.plan.today import suggestion

__all__ = ["GOAL_RANGE", "clamp_goal", "goal_progress", "suggestion"]
