"""Page routes, one module per area (public first; each role's journeys beside them)."""
