"""The monitoring center's HTTP API (FastAPI) and the web UI it serves."""
