"""The web service (litestar): the staff and integrator JSON API under /api/v1, and the
resident survey pages with interviewer entry (engine.web.pages)."""

from .app import create_app

__all__ = ["create_app"]
