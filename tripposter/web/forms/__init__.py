"""WTForms classes: they parse and type the input; the services decide what is allowed."""
