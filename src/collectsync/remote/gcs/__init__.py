"""Google Cloud Storage, through google-cloud-storage: the adapter and what its errors mean."""
