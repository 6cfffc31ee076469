"""The aiohttp server (webhooks, health, verification, files) and the association's console."""
