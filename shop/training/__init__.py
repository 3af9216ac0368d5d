"""The training sandbox: cohorts, lessons and their checks, simulated customers, share kit."""
