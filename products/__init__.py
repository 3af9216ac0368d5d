"""The catalogue: what is sold, where it comes from, and how it is found."""
