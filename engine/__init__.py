"""manyi engine: everything that knows about documents, storage, people and the web.

Only this package touches YAML, SQL, HTTP and the command line (see shared STYLE, Boundaries).
"""
