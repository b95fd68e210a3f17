"""`make bench` (`python -m bench`): the proxy's figures, measured side by side in one run."""
