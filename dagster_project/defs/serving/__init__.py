from .assets import defs

__all__ = ["defs"]
