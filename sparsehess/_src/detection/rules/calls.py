"""Calls (``jit``, ``closed_call``, ``checkpoint``, ...): the called jaxpr is walked inline."""

# The parameter holding the called jaxpr, by primitive name (the others hold "jaxpr").
_JAXPR_PARAM = {"closed_call": "call_jaxpr", "core_call": "call_jaxpr"}


def inline(prop, eqn, ins):
    """Output Values of the called jaxpr (closed or open) walked on ``ins``."""
    inner = eqn.params[_JAXPR_PARAM.get(eqn.primitive.name, "jaxpr")]
    if hasattr(inner, "jaxpr"):
        return prop.walk_closed(inner, ins)
    return prop.walk(inner, [], ins)
