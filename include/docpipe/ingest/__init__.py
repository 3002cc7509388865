"""The hourly ingest: discover an interval's uploads, split them into batches, process a batch."""
