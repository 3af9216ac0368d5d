"""People: users, roles, log-in."""
