"""manyi reports: report contexts, SVG charts, HTML templates and WeasyPrint rendering.

Imports nothing from ``engine``; the engine builds a context and hands it here.
"""
