"""The site: the community's history read once, rendered to pages, built by MkDocs + Material."""
