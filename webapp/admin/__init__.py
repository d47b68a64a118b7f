from webapp.admin.routes import bp

__all__ = ["bp"]
