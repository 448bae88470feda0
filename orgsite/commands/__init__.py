"""One module per command: typed arguments in, a result or an OrgsiteError out."""
