"""The specialists, a node (or two) each: transcriber, narrator, director, voice, illustrator (the artist,
colorist and letterer of tools.render). Each returns a narrow output TypedDict of its route's state."""
