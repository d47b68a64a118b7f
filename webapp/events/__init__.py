from webapp.events.routes import bp

__all__ = ["bp"]
