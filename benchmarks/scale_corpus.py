"""A real-size text study without audio: N interviews of about W words each, as teams export them.

    python benchmarks/scale_corpus.py OUT_DIR [--interviews 20] [--words 8000] [--seed 0]

Writes OUT_DIR/transcripts/ (Zoom .vtt, Teams .vtt, Zoom tab-separated .txt, Otter .txt and Teams .docx in
turn), OUT_DIR/participants.csv (two roles per company) and OUT_DIR/pii.txt (every raw name, email address
and phone number put in, written and spoken forms, one a line, for grepping the study and its exports).

The customers' answers recombine the demo scripts' and the domain studies' customer turns with GoEmotions
*train* comments (their [NAME] slots filled from the name pool), fillers, crosstalk from the interviewer,
colleagues' names, email addresses and phone numbers said aloud and written. Nothing here is scored: it
is load, for `benchmarks/scale.py`.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
from dataclasses import dataclass
from pathlib import Path

import docx
import yaml

ROOT = Path(__file__).resolve().parent.parent
# ../shared/data beside the checkout (or beside the folder of worktrees that holds it)
SHARED = next((p / "shared" / "data" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared" / "data").is_dir()), ROOT.parent / "shared" / "data")
GOEMOTIONS_TRAIN = SHARED / "goemotions" / "train.tsv"
FIRST = ["Margaret", "Arjun", "Sofia", "Grace", "Daniel", "Tom", "Aisha", "Linda", "Kwame", "Ingrid", "Mateo", "Yuki",
         "Priya", "Oskar", "Fatima", "Liam", "Chloe", "Hamid", "Rosa", "Viktor", "Naledi", "Tobias", "Elif", "Marcus",
         "Hannah", "Diego", "Mei", "Sven", "Amara", "Jonah"]
# Real surnames, several of them everyday words too (a known-name matcher must not redact "price" or "young").
LAST = ["Okafor", "Patel", "Reyes", "Kimura", "Becker", "Rahman", "Novak", "Mensah", "Lindqvist", "Alvarez",
        "Tanaka", "Sharma", "Brandt", "Haddad", "Murphy", "Dubois", "Karimi", "Ortega", "Petrov", "Dlamini",
        "Price", "Young", "Bell", "Little", "Rich", "Hope", "Baker", "Wise", "Moody", "Story"]
INTERVIEWERS = ["Jordan Ashby", "Casey Morgan"]
COMPANY_WORDS = ["Brightwater", "Copper Kettle", "Lotus Flow", "Northgate", "Harbour", "Silverline", "Meadow",
                 "Keystone", "Bluebird", "Granite", "Riverside", "Summit", "Oakridge", "Pinecrest", "Westfield"]
COMPANY_KINDS = ["Dental", "Cafe", "Studio", "Logistics", "Clinic", "Bakery", "Accountants", "Hotel", "Gym", "Motors"]
ROLES = [("Operations manager", "driver", "Operations buyer"), ("Finance director", "gatekeeper", "Budget approver")]
SEGMENTS = ["Small business", "Mid-market", "Enterprise"]
FILLERS = ["um", "uh", "you know", "like", "I mean", "sort of", "kind of", "yeah", "so", "right"]
BACKCHANNELS = ["Mm-hmm.", "Right.", "Yeah.", "Okay.", "Sure.", "I see.", "Got it."]
FORMATS = ["zoom.vtt", "teams.vtt", "zoom.txt", "otter.txt", "teams.docx"]
DIGITS = "zero one two three four five six seven eight nine".split()


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    company: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def email(self) -> str:
        return f"{self.first.lower()}.{self.last.lower()}@{self.company.lower().replace(' ', '')}.com"


def spoken_email(person: Person) -> str:
    return f"{person.first.lower()} dot {person.last.lower()} at {person.company.lower().replace(' ', '')} dot com"


def spoken_phone(digits: str) -> str:
    return " ".join(DIGITS[int(d)] for d in digits)


def written_phone(digits: str) -> str:
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def source_turns() -> tuple[list[str], list[str]]:
    """(interviewer questions, customer answers) from the demo scripts and the domain studies."""
    questions, answers = [], []
    for script in sorted((ROOT / "interviews" / "demo" / "scripts").glob("*.yaml")):
        for turn in yaml.safe_load(script.read_text(encoding="utf-8"))["turns"]:
            (questions if turn["speaker"] == "interviewer" else answers).append(turn["text"])
    for path in sorted((ROOT / "benchmarks" / "domain_studies").glob("*/*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            speaker, _, text = line.partition(": ")
            if text:
                (questions if speaker.startswith("Interviewer") else answers).append(text)
    return questions, answers


def chatter(limit: int = 6000) -> list[str]:
    """GoEmotions train comments of 8+ words: varied everyday speech to pad answers with."""
    lines = []
    with GOEMOTIONS_TRAIN.open(encoding="utf-8") as handle:
        for line in handle:
            text = line.split("\t")[0].strip()
            if len(text.split()) >= 8 and "http" not in text:
                lines.append(text)
            if len(lines) >= limit:
                break
    return lines


class Writer:
    """One interview's turns, with times at about 2.6 words a second."""

    def __init__(self) -> None:
        self.turns: list[tuple[str, float, float, str]] = []
        self.clock = 3.0

    def say(self, speaker: str, text: str, overlap: bool = False) -> None:
        seconds = max(0.6, len(text.split()) / 2.6)
        start = self.clock - (0.4 if overlap else 0.0)
        self.turns.append((speaker, start, start + seconds, text))
        self.clock = start + seconds + (0.0 if overlap else 0.3)


def interview(rng: random.Random, me: Person, interviewer: str, pool: list[Person], questions: list[str],
              answers: list[str], comments: list[str], words: int, digits: str) -> list[tuple[str, float, float, str]]:
    writer = Writer()
    writer.say(interviewer, "Thanks for joining today. Can you hear me okay? Great. Could you introduce yourself?")
    writer.say(me.name, f"Yeah, hi, I'm {me.name}, I work at {me.company}. My email is {spoken_email(me)} if you need it after.")
    writer.say(interviewer, "Perfect. And is there a number we can reach you on?")
    writer.say(me.name, f"Sure, it's {spoken_phone(digits)}, or just write {written_phone(digits)} and {me.email} on the form.")
    spoken = sum(len(t[3].split()) for t in writer.turns)
    while spoken < words:
        writer.say(interviewer, rng.choice(questions))
        sentences = [rng.choice(answers)] + rng.sample(comments, rng.randint(2, 6))
        rng.shuffle(sentences)
        other = rng.choice(pool)
        if rng.random() < 0.25:
            sentences.insert(1, rng.choice([f"My colleague {other.name} handled that part.", f"I had to ask {other.first} in finance.",
                                            f"{other.first} {other.last} from their side sent me the quote.", f"You could call {other.first}, {spoken_phone(str(rng.randrange(10**9, 10**10)))}."]))
        text = " ".join(re.sub(r"\[NAME\]", rng.choice(pool).first, s) for s in sentences)
        tokens = text.split()
        for _ in range(len(tokens) // 25):  # disfluencies
            tokens.insert(rng.randrange(len(tokens)), rng.choice(FILLERS) + ",")
        for piece in range(0, len(tokens), 28):  # captions cut long answers into cues
            writer.say(me.name, " ".join(tokens[piece:piece + 28]))
            if rng.random() < 0.2:
                writer.say(interviewer, rng.choice(BACKCHANNELS), overlap=True)
        spoken += len(tokens)
    writer.say(interviewer, "That's everything from me, thank you so much.")
    writer.say(me.name, "No problem, bye.")
    return writer.turns


def clock(seconds: float, sep: str = ".") -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}{sep}{int(seconds % 1 * 1000):03d}"


def write_transcript(path: Path, layout: str, turns: list[tuple[str, float, float, str]]) -> Path:
    if layout == "zoom.vtt":
        cues = [f"{n}\n{clock(s)} --> {clock(e)}\n{who}: {text}\n" for n, (who, s, e, text) in enumerate(turns, 1)]
        path.write_text("WEBVTT\n\n" + "\n".join(cues), encoding="utf-8")
    elif layout == "teams.vtt":
        cues = [f"9f1c-{n:04d}/{n}-0\n{clock(s)} --> {clock(e)}\n<v {who}>{text}</v>\n" for n, (who, s, e, text) in enumerate(turns, 1)]
        path.write_text("WEBVTT\n\n" + "\n".join(cues), encoding="utf-8")
    elif layout == "zoom.txt":
        path.write_text("".join(f"{clock(s)[:8]}\t{who}:\t{text}\n" for who, s, _, text in turns), encoding="utf-8")
    elif layout == "otter.txt":
        path.write_text("".join(f"{who}  {int(s) // 60}:{int(s) % 60:02d}\n{text}\n\n" for who, s, _, text in turns), encoding="utf-8")
    else:
        document = docx.Document()
        document.add_paragraph("Customer interview")
        for who, s, _, text in turns:
            document.add_paragraph(f"{who}  {clock(s)[:8]}")
            document.add_paragraph(text)
        document.save(str(path))
    return path


def write_study(out: Path, interviews: int = 20, words: int = 8000, seed: int = 0) -> list[Path]:
    """The transcripts, the sheet and the PII list; returns the transcript paths."""
    rng = random.Random(seed)
    questions, answers = source_turns()
    comments = chatter()
    names = rng.sample([(f, l) for f in FIRST for l in LAST], max(60, interviews))
    companies = [f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}" for _ in range((interviews + 1) // 2)]
    people = [Person(f, l, companies[n // 2 % len(companies)]) for n, (f, l) in enumerate(names)]
    folder = out / "transcripts"
    folder.mkdir(parents=True, exist_ok=True)
    paths, rows, pii = [], [], set(INTERVIEWERS) | {c for c in companies}
    for n in range(interviews):
        me, layout = people[n], FORMATS[n % len(FORMATS)]
        digits = f"555{rng.randrange(10**6, 10**7)}"
        turns = interview(rng, me, INTERVIEWERS[n % 2], people, questions, answers, comments, words, digits)
        stem, ext = layout.split(".")
        paths.append(write_transcript(folder / f"call-{n + 1:02d}-{stem}.{ext}", layout, turns))
        role, participation, persona = ROLES[n % 2]
        rows.append({"file": paths[-1].name, "speaker": "customer", "title": f"{role} interview {n + 1}", "company": me.company,
                     "participant": me.name, "role": role, "participation": participation, "persona": persona,
                     "segment": SEGMENTS[n // 2 % 3], "industry": "Services", "region": ["North", "South"][n // 4 % 2],
                     "product": "AeroPure 300", "date": f"2026-09-{1 + n % 28:02d}"})
        pii |= {me.name, me.email, spoken_email(me), written_phone(digits), spoken_phone(digits)}
    pii |= {p.name for p in people}
    with (out / "participants.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (out / "pii.txt").write_text("\n".join(sorted(pii)) + "\n", encoding="utf-8")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--interviews", type=int, default=20)
    parser.add_argument("--words", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    paths = write_study(args.out, args.interviews, args.words, args.seed)
    total = sum(p.stat().st_size for p in paths)
    print(f"{len(paths)} transcripts ({total / 1e6:.1f} MB), participants.csv and pii.txt in {args.out}")


if __name__ == "__main__":
    main()
