"""Fixtures for tests that start Mandate's processes: ``fresh_db_url`` is in tests/conftest.py."""
