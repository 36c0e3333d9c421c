"""Pure domain: models, rules and events, with no cloud imports."""
