"""Request and response models, one module per resource, separate models per direction."""
