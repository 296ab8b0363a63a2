"""The embeddable web-chat widget's channel: visitor tokens, the shop's identity hash, the per-IP limit
on new conversations, replay by message id, and delivery over the event bus. The HTTP side (the
loader script, the iframe app, the WebSocket) is ``api.webchat``."""
