"""HTTP routers: they parse, authorise and call the store; the rules live in app/domain."""
