"""Generated training sentences for the five standard journey stages and for "outside the journey".

    python -m research.coding.journey_corpus   # rewrites journey-corpus.npz after a template change

Templates of how customers talk about each stage are filled with products, people, channels and
events from many industries (banking, telecoms, software, health, insurance, retail, travel,
utilities, food, fitness, cars, B2B services), so a classifier learns the stage from how the
experience is described rather than from one domain's nouns. The phrasings of `journey_phrasings` join
the templates: customers' own words, mostly without a stage keyword, so the classifier does not learn
that the keyword is the stage. Each sentence keeps the template it came from, so cross-validation can
hold out whole templates (a phrasing never seen, not a sentence whose template it trained on).
Written for this project from general knowledge of customer journeys (the project's own licence); no
evaluation sentence was used.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from research.coding.journey_phrasings import PHRASINGS

STAGES = ["discovery", "decision", "adoption", "retention", "advocacy"]
OUTSIDE = ""  # the class of utterances outside the journey
CORPUS_FILE = Path(__file__).with_name("journey-corpus.npz")
PER_CLASS = 240
GENERATION = 2  # how sentences are drawn from the templates and phrasings (`generated_sentences`): bump when that changes
FRAMED = 0.35  # share of journey sentences wrapped in a feeling ("I was annoyed that ..."): customers feel at every stage, so feelings are no stage cue

SLOTS: dict[str, list[str]] = {
    "product": ["the app", "the software", "the insurance policy", "the broadband", "the meal kit", "the gym membership", "the car", "the mattress",
                "the accounting tool", "the bank account", "the phone plan", "the CRM", "the streaming service", "the clinic", "the energy tariff",
                "the coffee machine", "the hearing aids", "the payroll service", "the security cameras", "the laptop", "the language course",
                "the pet insurance", "the solar panels", "the cloud storage", "the booking platform", "the vitamins", "the running shoes",
                "the credit card", "the mortgage", "the printer", "the scheduling tool", "the water filter", "the e-bike", "the dog food subscription",
                "the cleaning service", "the hotel", "the airline", "the car lease", "the point-of-sale system", "the hosting plan"],
    "brand": ["them", "this company", "the brand", "that provider", "the supplier", "this service", "their product"],
    "person": ["a friend", "my sister", "a colleague", "my neighbour", "our IT manager", "my doctor", "my accountant", "a client", "my son",
               "another business owner", "my cousin", "a former boss", "my partner", "a parent at school"],
    "seen": ["on Instagram", "in a newsletter", "on a billboard", "in a YouTube video", "on the radio", "in a magazine", "in the search results",
             "on LinkedIn", "on the side of a bus", "in a TV advert", "in a comparison article", "in a local paper"],
    "trigger": ["our old one broke down", "we moved house", "my contract ran out", "we hired ten new people", "our prices went up", "I had a health scare",
                "our supplier went out of business", "I started working from home", "the baby arrived", "a client asked whether we had it",
                "my bills kept climbing", "our old system crashed during the busiest week", "the regulations changed", "I retired",
                "my back started hurting", "we opened a second location"],
    "approver": ["the finance director", "my husband", "the board", "procurement", "our IT security team", "my business partner", "the owner"],
    "reason": ["the price was right", "it had the longest warranty", "the reviews were better", "they could start straight away",
               "it worked with what we already had", "the contract was flexible", "they offered a discount", "the sales rep answered every question"],
    "duration": ["a whole afternoon", "ten minutes", "three weeks", "most of the weekend", "two days", "much longer than promised"],
    "long": ["two years", "eighteen months", "about a year", "three winters", "since last spring", "five years"],
    "setup_problem": ["a part was missing", "the instructions were in the wrong language", "it wouldn't connect to the network",
                      "the account activation email never came", "it needed an adapter we didn't have", "it worked straight out of the box"],
    "first_use": ["kept checking the manual", "watched the tutorial videos", "called the helpline twice", "figured out the settings by trial and error",
                  "learned the basics in an hour", "had to ask a colleague to show me"],
    "fault": ["crashing", "logging me out", "losing the connection", "running slowly", "sending duplicate reminders", "charging a fee I don't recognise"],
    "site": ["Trustpilot", "Google", "the app store", "a review site", "their website", "Amazon"],
    "social": ["on Facebook", "on Twitter", "in a forum", "on our company blog", "in a WhatsApp group", "on Reddit"],
    "stars": ["five", "four", "two", "one"],
    "opinion": ["it's worth every penny", "to steer clear", "it's fine but overpriced", "to go for it", "to read the small print first"],
    "staff": ["the sales rep", "the account manager", "the installer", "the support agent", "the technician", "the engineer", "the pharmacist",
              "the advisor", "the shop assistant", "the customer success manager", "the receptionist", "the consultant"],
    "feature": ["the dashboard", "the reporting", "the mobile app", "the online portal", "the reminders", "the invoices", "the search", "the booking page",
                "the integrations", "the settings", "the family sharing", "the auto-renewal"],
    "moment": ["on the first day", "in the first week", "the first time we logged in", "on the day it was installed", "as soon as it was switched on",
               "during the setup", "in the first couple of days", "the morning after it was fitted"],
    "plan": ["the annual plan", "the basic tier", "the premium package", "the family bundle", "the pay-as-you-go option", "the three-year contract",
             "the student discount", "the business plan", "the monthly subscription"],
    "channel": ["a price comparison site", "a leaflet at the pharmacy", "a webinar", "a conference talk", "a sponsored post", "a cold email", "a flyer", "a shop window",
                "a forum thread", "a radio advert", "a pop-up stand at the station", "a TV programme"],
    "problem": ["the roof started leaking", "our delivery van was stolen", "the boiler gave up", "I failed my driving test twice",
                "our sales dropped for three months", "our website went down on launch day", "the car failed its MOT", "the landlord put the rent up",
                "our biggest client complained", "the kids' grades started slipping", "the pipes froze", "payroll went out late twice"],
    "frame": ["Honestly, {clause}", "To be fair, {clause}", "I was pleased that {clause}", "I was annoyed that {clause}", "It worried me that {clause}",
              "I was surprised that {clause}", "It was a relief that {clause}", "Frankly it was frustrating that {clause}", "I remember that {clause}",
              "What struck me was that {clause}", "{clause}, which I loved", "{clause}, and I wasn't happy about it", "{clause}, which was a bit confusing",
              "{clause}, so that was reassuring", "{clause}, and that was disappointing"],
    "name": ["[Participant 1]", "[Participant 3]", "Sam", "Priya", "[PERSON_2]", "Tom", "Maria", "[Participant 9]"],
    "job": ["a nurse", "an office manager", "a software developer", "a shop owner", "a teacher", "a finance manager", "a student", "a farmer",
            "the head of operations at [Company 2]", "a freelance designer"],
    "home": ["live with my partner and two cats", "live on my own in a small flat", "have three kids and a very busy house",
             "run a bakery with two employees", "look after my mum as well as working"],
}

TEMPLATES: dict[str, list[str]] = {
    "discovery": [
        "I first found out about {brand} through {channel}.", "The problem started when {problem}.", "After {problem} we knew we needed help.",
        "It was {person} who pointed me to {product} when {problem}.", "I'd never thought about {product} until {problem}.",
        "The whole search started because {trigger}.", "I was looking for a way to fix things after {problem}, and {brand} came up.",
        "I remember spotting {brand} at {channel} and wondering what they did.", "We didn't even know tools like {product} existed until {person} showed us.",
        "The first contact was {channel}, and I didn't think much of it at the time.", "That was the moment I realised we had outgrown what we had.",
        "We kept having the same problem, and eventually I started asking around.",
        "I first heard about {product} from {person}.", "I came across {brand} {seen}.", "It all started when {trigger}.",
        "{trigger}, so I started looking for something better.", "Before that I had never heard of {brand}.",
        "The reason I even started looking was that {trigger}.", "{person} mentioned {product} and I got curious.",
        "I noticed {product} {seen} and made a note to look it up later.", "We realised we had a problem when {trigger}.",
        "My first impression of {brand} came from an advert {seen}.", "Honestly I wasn't looking for anything until {trigger}.",
        "The need came up when {trigger}, and that's when {person} told me about {brand}.",
    ],
    "decision": [
        "I booked a consultation before committing to {product}.", "We checked whether {product} was covered before we paid for it.",
        "I waited for the sale before buying {product}.", "We ran a pilot of {product} with a small group before buying it.",
        "I asked {person} which one to get, and then ordered {product}.", "I worked out the cost per month and switched to {plan}.",
        "We went with {plan} because {reason}.", "The free trial ended and we had to choose whether to pay for {plan}.",
        "Two vendors pitched to us and we picked {product}.",
        "The quote for {product} was higher than we budgeted, so we negotiated.", "I weighed up {plan} against buying outright.",
        "It took a long time to choose between {product} and the one we already knew.", "I bought {plan} after the demo.",
        "I compared {product} with two other options before deciding.", "In the end I chose {product} because {reason}.",
        "We needed sign-off from {approver} before we could buy {product}.", "I read reviews for weeks before choosing {product}.",
        "We asked for a quote for {product} and negotiated the price down.", "I signed up for {product} online and paid by card.",
        "We shortlisted {product} and a cheaper alternative.", "The trial convinced us to go with {product}.",
        "I placed the order for {product} that same evening.", "{approver} wanted to see the total cost before approving {product}.",
        "The deciding factor was that {reason}.", "I almost bought a different one, but {reason}.",
    ],
    "adoption": [
        "The technician came to fit {product} and it took {duration}.", "I had to reset my password three times before I could log in to {product}.",
        "Importing our contacts into {product} took {duration}.", "The welcome email for {product} explained the first steps.",
        "We trained the staff on {product} over {duration}.", "I downloaded the app and set up my profile {moment}.",
        "{moment} {product} {setup_problem}.",
        "Learning {feature} {moment} was harder than I expected.",
        "Getting used to {feature} took {duration}.", "We switched everything over to {product} in one weekend.",
        "Setting up {product} took {duration}.", "When {product} arrived, {setup_problem}.", "The first week with {product} I {first_use}.",
        "Getting started with {product} took {duration}, and {setup_problem}.", "The installation of {product} took {duration}.",
        "On the first day I {first_use}.", "The onboarding for {product} was {duration} of training for the whole team.",
        "It was delivered a day late and {setup_problem}.", "Activating {product} took {duration}.",
        "Moving our data over to {product} took {duration}.", "The first time I used {product} I {first_use}.",
    ],
    "retention": [
        "{product} went down for a whole day last month.", "I use the loyalty points every time I shop there.",
        "My contract for {product} is up soon and I'm looking around.", "The price of {product} creeps up every year.",
        "I downgraded to {plan} to save money.", "Every time I phone them I get a different answer about {feature}.",
        "Every month {feature} gets worse.", "The quality of {product} has slipped over {long}.",
        "We still use {product} every day after {long}.", "I keep paying for {plan} even though I barely use it.",
        "We renewed {plan} for another year.", "When {feature} broke, {staff} fixed it the same day.", "I almost cancelled {product} last month over the billing.", "After {long} I'm still happy with {product}, mostly.",
        "We've been using {product} for {long} now.", "The monthly bill for {product} keeps changing.", "I've had to contact support about {product} several times.",
        "At renewal the price of {product} went up again.", "I'm thinking of cancelling {product}.", "These days {product} just works, I hardly think about it.",
        "Since the last update {product} keeps {fault}.", "I cancelled {product} and switched to another provider.",
        "They charged me twice for {product} last month.", "After {long}, {product} is part of my routine.",
        "Support sorted out the problem with {product} within a day.", "After {long} {product} started {fault}, and I'm losing patience.",
    ],
    "advocacy": [
        "I gave my referral code to {person} and we both got a discount.", "I wrote a blog post comparing {product} with the alternatives.",
        "They asked me for a testimonial and I was happy to write one.", "I stick up for {brand} whenever someone complains about them.",
        "After what happened I'd warn {person} off {product}.", "I've bought {product} as a present for {person}.",
        "I got {person} to try {product} and now they swear by it.", "Half my office uses {product} now because of me.", "I left a long review of {product} on {site}.", "I told {person} not to bother with {brand}.", "I keep sharing {product} with {person}.",
        "I've recommended {product} to {person}.", "I wrote a review of {product} on {site}.", "I'd tell anyone to avoid {brand}.",
        "I posted about {product} {social}.", "{person} signed up after I told them about it.", "I gave {product} {stars} stars on {site}.",
        "I'd recommend {product} if they fixed the billing.", "I've warned everyone I know about {brand}.",
        "I sent my referral link to {person}.", "When people ask me about {product} I tell them {opinion}.",
        "I complained about {brand} {social} and lots of people agreed.", "If {person} asked, I'd say {opinion}.",
    ],
    OUTSIDE: [
        "I'm {name}, I work as {job}.", "My name is {name} and I {home}.", "Hi, I'm {name}. I'm {job}.",
        "Yes, you can record this, that's fine.", "Can you hear me now? The connection is a bit patchy.", "Thanks for having me.",
        "Thank you, good luck with your research.", "Sorry, could you repeat the question?", "Sure, happy to help.",
        "One moment, someone's at the door.", "I think that's everything, thanks.", "I'm {job}, and I {home}.",
        "Yes, I got the consent form and signed it.", "Sorry, my screen froze for a second.",
    ],
}


@dataclass(frozen=True)
class CorpusSentence:
    label: str  # stage id, or "" for outside the journey
    template: int  # which template (or phrasing) it was generated from: the group cross-validation holds out together
    text: str


def generated_sentences(per_class: int = PER_CLASS, seed: int = 0) -> list[CorpusSentence]:
    """`per_class` distinct sentences per label from the slot templates, deterministic for a seed, then every
    phrasing of `journey_phrasings` as written and (on the journey) once more framed by a feeling."""
    rng, frames = random.Random(seed), random.Random(seed + 1)  # the phrasings' frames drawn apart: the template sentences stay as they were
    out: list[CorpusSentence] = []
    offset = 0
    for label, templates in TEMPLATES.items():
        sentences: dict[str, int] = {}
        for _ in range(per_class * 20):
            if len(sentences) >= per_class:
                break
            index = rng.randrange(len(templates))
            sentences.setdefault(_framed(re.sub(r"\{(\w+)\}", lambda m: rng.choice(SLOTS[m.group(1)]), templates[index]), label, rng), offset + index)
        offset += len(templates)
        for n, phrasing in enumerate(PHRASINGS.get(label, [])):
            sentences.setdefault(phrasing, offset + n)
            if label != OUTSIDE:
                sentences.setdefault(_framed(phrasing, label, frames, always=True), offset + n)
        offset += len(PHRASINGS.get(label, []))
        out += [CorpusSentence(label, template, text) for text, template in sorted(sentences.items())]
    return out


def _framed(text: str, label: str, rng: random.Random, always: bool = False) -> str:
    """A journey sentence, for a share FRAMED of them (or `always`), wrapped in a feeling ("I was annoyed that ...")."""
    if label != OUTSIDE and (always or rng.random() < FRAMED):
        clause = text.rstrip(".")
        text = rng.choice(SLOTS["frame"]).replace("{clause}", clause[0].lower() + clause[1:] if clause[1:2].islower() else clause) + "."
    return text[0].upper() + text[1:]


def corpus_hash() -> str:
    return hashlib.sha256(json.dumps([SLOTS, TEMPLATES, PHRASINGS, PER_CLASS, FRAMED, GENERATION]).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class JourneyCorpus:
    """The generated sentences' MiniLM embeddings by stage id ("" for outside the journey)."""

    vectors: dict[str, np.ndarray]

    @classmethod
    def load(cls, path: Path = CORPUS_FILE) -> JourneyCorpus | None:
        """None when the file is missing or was built from other templates (rebuild it with this module)."""
        try:
            data = np.load(path, allow_pickle=False)
            if str(data["hash"]) != corpus_hash():
                return None
            return cls({label: data[f"stage_{label or 'outside'}"].astype(np.float32) for label in TEMPLATES})
        except (OSError, KeyError, ValueError):
            return None


def build(path: Path = CORPUS_FILE) -> None:
    from research.embeddings import embed

    sentences = generated_sentences()
    vectors = {f"stage_{label or 'outside'}": embed([s.text for s in sentences if s.label == label]).astype(np.float16) for label in TEMPLATES}
    np.savez_compressed(path, hash=np.array(corpus_hash()), **vectors)


if __name__ == "__main__":
    build()
    print(f"wrote {CORPUS_FILE}")
