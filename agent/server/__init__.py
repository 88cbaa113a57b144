"""`nuvola serve`: a web server and page over the same library calls as the CLI.

app.py (routes), jobs.py (the SQLite job queue), worker.py (the process that runs the jobs),
supervisor.py (keeps the worker alive), library.py (read-only views: catalogue, memory, issues, chats),
uploads.py (upload checks), security.py (token, CSRF, Host, limits), errors.py (JSON errors),
static/ (the page: plain HTML, CSS and JavaScript).
"""
