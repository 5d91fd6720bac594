"""Migration scripts: the foundation (0001) and one branch per part of the server."""
