"""Local fake platform servers that end-to-end tests talk to over real HTTP."""
