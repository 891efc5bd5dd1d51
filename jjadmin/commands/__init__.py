"""Typer sub-apps: parse, call one service, render."""
