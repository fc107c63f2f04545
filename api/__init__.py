"""FastAPI app: auth, routes, request/response schemas, error mapping. Thin."""
