"""Spotify JSON -> the blog's JSON: pure steps, and the cache that feeds them."""
