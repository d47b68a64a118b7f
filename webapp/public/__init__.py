from webapp.public.routes import bp

__all__ = ["bp"]
