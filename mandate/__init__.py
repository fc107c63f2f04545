"""Mandate: self-organised selection of representatives."""
