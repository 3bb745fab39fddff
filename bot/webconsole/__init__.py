"""The supervisors' and counsellors' web console: server-rendered pages (Jinja2 templates in
knowledge/templates/web/, htmx vendored in knowledge/static/) on the one web app, behind the
centre's HTTPS proxy at `web.public_url`.

access.py signs staff in with a link the bot sends (/dangnhap) and keeps sessions; pages.py
serves the queue, the cases and a case; live.py streams the queue as it changes
(server-sent events); routes.py puts them together for bot/app.py.
"""
