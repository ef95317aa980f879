"""The one statement of the model: variables, constraint families, layers, requirements, options."""
