"""Local stand-ins for the platforms' APIs, served on loopback ports for the real client code."""
