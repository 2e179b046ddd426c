"""The router's HTTP server: the ASGI app (app.py: create_app, create_app_from_env), CORS, the
front door (edge.py), hot reload, the one-write HTTP protocol and GC tuning."""
