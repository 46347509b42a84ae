"""Words as users read and type them: translations, formatting, splitting, matching."""
