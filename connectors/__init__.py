"""Documents in, searchable chunks out: parsers, chunking, embedders and the per-department index."""
