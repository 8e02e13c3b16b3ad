"""The aiohttp service: intake, ACK and report APIs, outbox worker, authentication."""
