"""Pure rules of the board: no web framework, no SQL, no clock, no randomness."""
