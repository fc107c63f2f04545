"""Temporal workflows: phases, durable deadlines, commands. Thin and deterministic."""
