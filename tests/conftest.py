"""Test configuration. tests/ is a package (tests/__init__.py) so that its folders, which mirror
the package tree, never shadow the real packages; shared helpers are imported as tests.<module>."""
