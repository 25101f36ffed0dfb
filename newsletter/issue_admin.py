"""Admin for newsletter issues: compose, preview, send a test, send, follow progress."""
