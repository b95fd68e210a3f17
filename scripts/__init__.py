"""Developer scripts run by the Makefile (`make widget`, `make screenshots`)."""
