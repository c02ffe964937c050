"""indicators: built by later issues."""
