"""The HTTP face: ``create_app`` builds the FastAPI service (see ``matcher.api.app``)."""

from matcher.api.app import create_app
from matcher.api.settings import Settings

__all__ = ["Settings", "create_app"]
