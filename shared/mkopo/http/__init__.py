"""HTTP helpers shared by the HTTPS functions: routing, problem+json, JSON bodies, bearer auth."""
