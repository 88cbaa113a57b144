"""The write route: the story graph (coordinator, narrator, director, voice, deliver, illustrate) and its run."""
