from webapp.dashboard.routes import bp

__all__ = ["bp"]
