"""Training loops for generators: data, checkpoints with resume, logs and previews."""
