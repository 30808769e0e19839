"""The web service (litestar): the staff and integrator JSON API under /api/v1."""

from .app import create_app

__all__ = ["create_app"]
