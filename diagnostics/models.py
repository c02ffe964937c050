"""diagnostics: built by later issues."""
