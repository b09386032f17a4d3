"""The fault proxy, and the real services it plays in front of the emulators where they behave
otherwise: for the tests and the benchmark alike."""
