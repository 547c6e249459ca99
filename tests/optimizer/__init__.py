"""Test package (an __init__.py is needed: tests/optimizer etc. would otherwise shadow the real packages)."""
