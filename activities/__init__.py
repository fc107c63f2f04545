"""Temporal activities: every side effect a workflow needs."""
