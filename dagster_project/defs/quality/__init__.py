from .checks import defs

__all__ = ["defs"]
