"""Scanner sources: the I/O side (devices, files, stdin, fakes); decoding is in pure modules."""
