"""``make bench``: speed and memory figures, printed as a table and written as JSON. Never run by pytest."""
