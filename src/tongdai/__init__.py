"""tongdai: the platform behind Vietnam's national hotline 111."""

__version__ = "0.1.0"
