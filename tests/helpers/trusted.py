"""Values as Ansible holds those it reads from a role's or an inventory's files.

From ansible-core 2.19 on, Ansible renders only strings it trusts as templates, and
it trusts those read from the files of roles and inventories; before 2.19 every
string is a template, and ``trust_as_template`` leaves the value as it is.
"""

try:  # ansible-core 2.19 and later render only trusted strings
    from ansible.template import trust_as_template
except ImportError:  # before 2.19 every string is a template
    def trust_as_template(text):
        return text

__all__ = ["trust_as_template", "trusted"]


def trusted(value):
    """``value`` with every string in it (in dicts and lists too) trusted as a template."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return dict((key, trusted(item)) for key, item in value.items())
    if isinstance(value, list):
        return [trusted(item) for item in value]
    return value
