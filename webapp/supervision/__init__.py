from webapp.supervision.routes import bp

__all__ = ["bp"]
