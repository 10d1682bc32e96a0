"""Statutes kept current from the national law information center's Open API (law.go.kr DRF) or a city mirror.

`listing` reads and writes the department's list of laws, `client` asks the portal, `parse` turns its XML into
our types, `render` writes a law as the statute text the chunker reads, and `sync` brings a folder in line.
"""
