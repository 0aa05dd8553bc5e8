"""The terminal UI: a Textual App over the domain layer."""
