"""HTTP routers, one module per resource; handlers parse, authorise and call a service."""
