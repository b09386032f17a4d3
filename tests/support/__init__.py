"""What the tests share: projects, buckets and emulators, fakes, seeded edits, children."""
