"""Settings, wiring, the web app, the JSON API and the `deptbot` command line."""
