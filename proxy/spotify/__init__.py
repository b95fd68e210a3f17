"""Talking to Spotify: the accounts service, the token store and the Web API. No web server."""
