"""Path-rule test cases shared by the unit tests of paths.py and export.py."""

# Inputs that no path rule may accept, whatever the field.
ADVERSARIAL_TEXT = [
    "",
    " ",
    "abc ",
    " abc",
    "a b",
    "..",
    ".",
    "a/../b",
    "%2e%2e",
    "a%2fb",
    "a\\b",
    "a\x00b",
    "a\nb",
    "ab\u2024\u2024cd",  # one-dot leaders look like '..'
    "a\u2215b",  # division slash looks like '/'
    "\uff41bc",  # fullwidth 'a'
    "caf\u00e9",
    "a\u200bb",  # zero-width space
]
