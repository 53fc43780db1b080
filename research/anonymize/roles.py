"""Role nouns: words for a person by what they do ("engineer", "pharmacist", "driver").

A capitalised word in apposition to one ("our engineer, Oyelaran, came out") is a person's
name; one in apposition to another noun ("our bank, Monzo,") is a thing's. The list is the
head nouns of Faker's job titles that are shaped as words for a doer (-er, -or, -ist, -ian
...), plus the everyday words for the people a customer meets. Doers that are as often a
company ("provider", "supplier", "courier", "broker") are left out: they tell nothing.
"""

from __future__ import annotations

import re
from functools import cache

DOER = re.compile(r"(?:er|or|ist|ian|ant|ent|ee|wife|man|woman|person)$")  # "-ant", "-ent": "accountant", "president"
EVERYDAY = frozenset(
    "guy lady woman man bloke fella girl boy chap rep representative advisor adviser agent assistant receptionist nurse doctor"
    " coach tutor teacher driver landlord landlady neighbour neighbor colleague boss friend host waiter waitress chef owner"
    " engineer technician installer fitter plumber electrician mechanic builder cleaner carer caregiver handyman gardener nanny"
    " midwife physio therapist counsellor counselor optician dentist vet gp pharmacist cashier clerk salesman saleswoman"
    " salesperson supervisor manager consultant specialist officer inspector surveyor accountant lawyer solicitor caseworker"
    " worker instructor trainer founder cofounder co-founder ceo employee volunteer pilot stylist hairdresser barber beautician receptionist porter concierge steward stewardess".split()
)
COMPANY_AS_OFTEN = frozenset("provider supplier courier carrier dealer broker contractor developer operator producer trader forwarder processor underwriter lender insurer retailer vendor distributor manufacturer controller examiner".split())
THINGS = frozenset("garment planner streamer blower runner".split())  # job heads that are things as often


@cache
def role_nouns() -> frozenset[str]:
    """Lower-case role nouns (singular)."""
    from faker.providers.job import Provider

    heads = {re.split(r"[,(/]", job)[0].split()[-1].casefold() for job in Provider.jobs if job.strip()}
    return frozenset({head for head in heads if DOER.search(head)} | EVERYDAY) - COMPANY_AS_OFTEN - THINGS


def is_role_noun(token) -> bool:
    """A spaCy noun token naming a person by their role."""
    return token.pos_ in ("NOUN", "PROPN") and token.lemma_.casefold() in role_nouns() or token.lower_ in role_nouns()
