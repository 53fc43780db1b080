"""Study-wide pseudonyms, kept in the vault so the same entity always reads the same.

Styles:
- placeholder: typed tags, e.g. [PERSON_3], [EMAIL_1]. A known participant or company
  reads as its study label ([Participant 3], [Company 1]), so quotes link to the people
  table.
- surrogate: realistic stand-ins from Faker (a name for a name, an email for an email),
  seeded by the entity, so they are stable.
"""

from __future__ import annotations

import hashlib

from research.vault import Vault

SURROGATES = {
    "PERSON": lambda fake: fake.name(),
    "EMAIL": lambda fake: fake.email(),
    "PHONE": lambda fake: fake.phone_number(),
    "LOCATION": lambda fake: fake.street_address(),
    "ORGANIZATION": lambda fake: fake.company(),
    "ID": lambda fake: fake.bothify("??-#####").upper(),
    "URL": lambda fake: fake.url(),
    "DATE": lambda fake: fake.date(),
}


class Pseudonymizer:
    def __init__(self, vault: Vault, style: str = "placeholder"):
        self.vault = vault
        self.style = style
        self._participants = {key for key in self._keys("PARTICIPANT")}
        self._companies = {key for key in self._keys("COMPANY")}

    def _keys(self, entity_type: str) -> list[str]:
        return [row[0] for row in self.vault.db.execute("SELECT value_key FROM pseudonyms WHERE entity_type = ?", [entity_type])]

    def replacement(self, entity_type: str, key: str) -> str:
        if self.style == "surrogate":
            return self._surrogate(entity_type, key)
        if entity_type == "PERSON" and key in self._participants:
            return f"[{self.vault.pseudonym('PARTICIPANT', key, 'Participant')}]"
        if entity_type == "ORGANIZATION" and key in self._companies:
            return f"[{self.vault.pseudonym('COMPANY', key, 'Company')}]"
        label = self.vault.pseudonym(entity_type, key, entity_type)
        return f"[{label.replace(' ', '_')}]"

    def _surrogate(self, entity_type: str, key: str) -> str:
        from faker import Faker

        existing = self.vault.db.execute("SELECT pseudonym FROM pseudonyms WHERE entity_type = ? AND value_key = ?", [f"SURROGATE:{entity_type}", key]).fetchone()
        if existing:
            return existing[0]
        fake = Faker("en_US")
        fake.seed_instance(int(hashlib.sha256(f"{entity_type}:{key}".encode()).hexdigest()[:12], 16))
        value = SURROGATES.get(entity_type, SURROGATES["ID"])(fake)
        with self.vault.db.atomic():
            self.vault.db["pseudonyms"].insert({"entity_type": f"SURROGATE:{entity_type}", "value_key": key, "pseudonym": value}, replace=True)
        return value
