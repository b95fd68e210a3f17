"""Messages to the owner before the Spotify grant dies, sent through Apprise.

notices.py decides what to say and when (pure); sent.py remembers what was sent (a small file
beside the token store); apprise_send.py delivers; notifier.py ties them together for the proxy.
"""
