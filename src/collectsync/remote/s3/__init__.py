"""Amazon S3 and the services that speak its API (Backblaze B2, Cloudflare R2, MinIO), through
boto3: the adapter, its client configuration, what S3's errors mean, checksums."""
