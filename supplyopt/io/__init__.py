"""Read and validate data sets, apply scenarios, write result folders atomically, the run log."""
