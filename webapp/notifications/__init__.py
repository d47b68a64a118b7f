from webapp.notifications.routes import bp

__all__ = ["bp"]
