"""`nuvola chat`: co-writing an issue in the terminal over the story graph (agent.graph) and the memory.

session.py (the session and its moves), story.py (the graph thread: stops, edits, forks, undo),
commands.py (slash commands and intents by stage), intents.py (rules), lookup.py (memory answers),
editing.py (/edit formats), voices.py (/voice), freechat.py (a configured chat model), view.py and
transcript.py (what is shown and kept), terminal.py (input), app.py (the loop), store.py (session files).
"""
