"""Releases: build, the release folder, versions, the licence gate, rows per config, checks, card, diff, publish."""
