"""Any other Django storage, through its public API."""
