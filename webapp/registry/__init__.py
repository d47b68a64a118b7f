from webapp.registry.routes import bp

__all__ = ["bp"]
