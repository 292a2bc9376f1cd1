"""The finished reference models that the lessons build step by step."""
