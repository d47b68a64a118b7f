from webapp.public import factors  # noqa: F401 - its routes are on the same blueprint
from webapp.public.routes import bp

__all__ = ["bp"]
