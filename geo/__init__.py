"""Reading, validating and shaping voter and precinct data (no web, no database)."""
