"""The Git server hook scripts that `orgsite init` installs (shipped as package data)."""
