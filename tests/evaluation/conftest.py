from eval_support import eval_key, skilled_sim
from gov_support import governed

__all__ = ["eval_key", "governed", "skilled_sim"]
