"""Helpers shared by the test suites (importable because pytest.ini puts tests/ on sys.path)."""
