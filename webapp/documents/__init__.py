from webapp.documents.routes import bp

__all__ = ["bp"]
