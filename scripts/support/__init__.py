"""The Python behind scripts/demo, scripts/test and scripts/release."""
