"""The web app and REST API (``painterly serve``): jobs in SQLite, a worker pool, one page."""
