"""Staging: the sources read and fingerprinted, Django's own collect and post-processing into a
local directory (only what changed, where the sync index can vouch for the rest), Whitenoise's
compression, and what came out described."""
