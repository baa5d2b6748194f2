"""Canvass Planner application layer: pipeline, outputs, maps, web server and CLI."""
