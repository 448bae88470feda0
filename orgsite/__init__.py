"""orgsite: private communities as Git repositories with signed posts and a transparent static site."""

__version__ = "0.1.0"
