"""Persian text helpers: normalisation, digits, phones, pattern entities, Jalali dates, money.

Nothing here imports the rest of the project.
"""
