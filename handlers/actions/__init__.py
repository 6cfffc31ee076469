"""Every decision a person can take, channel-neutral: the chat, the console and the CLI call
the same functions, which check role, scope and state once."""
