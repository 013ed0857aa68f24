from gov_support import cli_env, governed

__all__ = ["cli_env", "governed"]
