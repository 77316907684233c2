"""The connectivity contract: the connections the rendered platform needs, judged by a published policy engine."""
