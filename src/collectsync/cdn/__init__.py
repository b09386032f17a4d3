"""Telling CDNs what a release changed: the URL paths, and CloudFront's invalidations."""
