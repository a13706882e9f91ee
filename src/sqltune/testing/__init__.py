"""Helpers for tests and demos that need a real database (never a mock)."""
