"""Business rules that know nothing of HTTP: route handlers parse, authorise and call these."""
