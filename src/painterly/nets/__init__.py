"""Trainable networks: generators (decoders, transformers) and critics, short and flat."""
