"""The good/bad-rating closed loop: case rules (state machine, deadlines)."""

from .cases import ACTIONS, STATES, Case, CaseEvent, TransitionError, allowed, open_case, transition

__all__ = ["ACTIONS", "STATES", "Case", "CaseEvent", "TransitionError", "allowed", "open_case", "transition"]
