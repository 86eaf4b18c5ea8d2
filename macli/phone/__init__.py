"""The telephone desk: messages taken, handed over, called back and closed."""
