"""Channel webhooks under ``/webhooks``."""
