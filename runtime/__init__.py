"""The live monitoring center: every configured camera's stream -> analysis -> actions, in one process."""
