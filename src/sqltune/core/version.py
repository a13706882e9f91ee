"""The package version: one place, read by the build (hatch) and by the cache key."""

__version__ = "0.1.0"
