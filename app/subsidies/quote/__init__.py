"""What is due for a month, with its trace (nothing is paid)."""
