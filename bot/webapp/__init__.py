"""The leaders' dashboard: a Telegram Mini App served by the bot's own process (issue 12).

`auth` checks Telegram's signed initData and signs short-lived evidence links; `server`
builds the aiohttp application (the page under /app/, JSON under /api/) and starts it
beside polling, or mounts the webhook route on the same server; `static/` holds the page,
its script and style, and the bundled ECharts. The figures come from
`core.dashboard.queries`.
"""
