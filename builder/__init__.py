"""Bot definitions, departments, users and roles, share links and versions (the registry)."""
