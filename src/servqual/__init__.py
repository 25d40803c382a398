"""servqual: reproducible SERVQUAL service-quality studies."""

__version__ = "0.1.0"
