"""The agent console: pages at /console, and what its JSON API (api/v1) shares with them."""
