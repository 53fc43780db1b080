"""The bundled demo interviews: where they are, their reference scripts, and the brand terms that are not PII."""

from __future__ import annotations

from pathlib import Path

import yaml

DEMO_DIR = Path(__file__).resolve().parent.parent / "interviews" / "demo"
BRAND_TERMS = ["Kestrel Home", "Kestrel", "AeroPure", "Aeropure", "HomeMart", "Home Mart"]  # the brand under study


def reference_scripts(folder: Path = DEMO_DIR) -> list[dict]:
    """Every reference script (id, file, speakers, turns with labels and PII spans), in file order."""
    return [yaml.safe_load(path.read_text()) for path in sorted((folder / "scripts").glob("*.yaml"))]


def spoken_text(script: dict) -> str:
    """Everything said in an interview, turn after turn."""
    return " ".join(turn["text"] for turn in script["turns"])
