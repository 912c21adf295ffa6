"""精准帮扶: case work by contracted social-work agencies for children on social assistance."""
