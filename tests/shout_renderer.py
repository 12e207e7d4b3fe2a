"""A plan renderer registered by one test: proof that a new plan format needs nothing but its entry."""

from dealrescue.core.plan import Plan


def to_shout(plan: Plan) -> str:
    return f"# {plan.playbook_title.upper()}: {plan.deal.upper()}\n"
