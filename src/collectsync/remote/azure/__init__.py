"""Azure Blob, through azure-storage-blob: the adapter and what its errors mean."""
