from webapp.public import factors, open_data  # noqa: F401 - their routes are on the same blueprint
from webapp.public.routes import bp

__all__ = ["bp"]
