"""What the grammar around a capitalised word says it is an organisation, not a person.

- It takes a plural verb though it is one word, as British English writes a company: "Zurvo were
  useless", "Kestra have been great", "Brintel don't answer", "Zurvo who run the buses" (a person
  takes "was", "has", "runs"; "Sipho and Lwazi are" is two people and is left alone).
- It qualifies a noun for what a company offers: "the Sorvik app", "my Quenta account", "the Pellow
  website" (a person's is "Sarah's account").
- It is where something is bought, paid with or listed: "paid with Zembla", "ordered it from Vandra",
  "cheaper at Pellow", "found them on Sorvik".
Each is evidence about the word itself, so the detector applies it to every mention of the word in
the interview (one sense per discourse).
"""

from __future__ import annotations

PLURAL_FORMS = frozenset({"are", "were", "'re", "’re", "have", "'ve", "’ve", "do", "don't", "don’t"})
SAME_IN_PAST = frozenset("set put cut let hit read hurt cost quit shut spread bet cast upset beat bid burst fit rid shed split thrust broadcast forecast".split())  # "who set it up" is past, not plural
ORG_NOUNS = frozenset(
    "app apps account accounts website site web card cards store shop branch branches helpline hotline subscription membership"
    " order orders delivery deliveries parcel tariff package customer customers service services portal platform voucher"
    " vouchers points basket checkout policy loan mortgage contract brand stores shops outlet outlets chatbot bot login".split()
)
COMMERCE_VERBS = frozenset("pay buy order shop purchase subscribe sell list bank insure stream download finance borrow invest spend rent lease save deliver ship checkout".split())
COMMERCE_PREPOSITIONS = frozenset({"with", "via", "from", "at", "on", "through"})
PLACE_PREPOSITIONS = frozenset({"at", "via"})  # "cheaper at Pellow", "the queue at Pellow", "via Zembla"


def org_cues(doc):
    """Spans of capitalised words the grammar treats as an organisation."""
    for token in doc:
        if _capitalised(token) and (_plural_subject(token) or _qualifies_an_offer(token) or _where_bought(token)):
            yield token.idx, token.idx + len(token.text)


def _capitalised(token) -> bool:
    return token.is_alpha and len(token) > 1 and token.text[0].isupper() and not token.is_upper and token.pos_ in ("PROPN", "NOUN")


def _plural_subject(token) -> bool:
    """One word, the subject of a plural verb: itself, or through "who"/"that" in the clause after it."""
    if token.dep_ == "conj" or any(child.dep_ in ("conj", "cc") for child in token.children) or token.tag_ in ("NNS", "NNPS"):
        return False
    verbs = [token.head] if token.dep_ in ("nsubj", "nsubjpass") else []
    verbs += [child for child in token.children if child.dep_ == "relcl" and any(grand.dep_ == "nsubj" and grand.lower_ in ("who", "that") for grand in child.children)]
    return any(plural(verb) for verb in verbs)


def plural(verb) -> bool:
    """Plural in form: \"were\", \"have\", \"run\", or with such an auxiliary (never \"was\", \"has\", \"runs\")."""
    auxiliaries = [child for child in verb.children if child.dep_ in ("aux", "auxpass")]
    forms = [verb, *auxiliaries]
    if any(form.lower_ in ("was", "is", "has", "does", "'s", "’s") or form.tag_ == "VBZ" for form in forms):
        return False
    return any(form.lower_ in PLURAL_FORMS or (form.tag_ == "VBP" and form.lower_ not in SAME_IN_PAST) for form in forms)


def _qualifies_an_offer(token) -> bool:
    return token.dep_ in ("compound", "nmod", "amod") and token.head.i > token.i and token.head.lemma_.casefold() in ORG_NOUNS and token.head.lower_ in ORG_NOUNS


def _where_bought(token) -> bool:
    if token.dep_ != "pobj" or token.head.lower_ not in COMMERCE_PREPOSITIONS or _possessive(token):
        return False
    governor = token.head.head
    return governor.lemma_.casefold() in COMMERCE_VERBS or (token.head.lower_ in PLACE_PREPOSITIONS and governor.pos_ in ("ADJ", "NOUN", "AUX"))


def _possessive(token) -> bool:
    return any(child.dep_ == "case" for child in token.children) or (token.i + 1 < len(token.doc) and token.doc[token.i + 1].text in ("'s", "’s"))
