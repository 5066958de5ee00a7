"""One module per sub-command: argument wiring from the CLI to the stages."""
