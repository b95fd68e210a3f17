"""The `mkdocs-spotify` command line: proxy, login and doctor."""
