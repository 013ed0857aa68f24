from gov_support import governed

__all__ = ["governed"]
