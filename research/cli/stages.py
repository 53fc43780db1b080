"""The pipeline's stages one at a time: `transcribe`, `speakers`, `anonymize`, `code`, `themes`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich import box
from rich.table import Table

from research.cli.app import _study, cli
from research.cli.shared import _print_stage_results, redact_old_memos
from research.console import RichProgress, console, waiting, wall_seconds
from research.errors import ResearchError

if TYPE_CHECKING:
    from research.transcribe.batch import BatchReport


@cli.command()
@click.option("--engine", type=click.Choice(["faster-whisper", "openai-whisper"]), help="Transcription engine (default from research.toml: faster-whisper).")
@click.option("--model", help="Model name (tiny.en, base, small, large-v3 ...) or a local path.")
@click.option("--device", type=click.Choice(["cpu", "cuda", "auto"]), help="cuda: float16, one model per GPU; auto: cuda when a GPU is visible.")
@click.option("--compute-type", help="faster-whisper compute type: int8, int8_float16, float16, float32.")
@click.option("--beam-size", type=click.IntRange(1, 20))
@click.option("--language", help="Force a language code (e.g. en, de); default: detect.")
@click.option("--workers", type=click.IntRange(1, 64), help="Interviews transcribed in parallel on CPU (on CUDA: one per GPU).")
@click.option("--batching", type=click.Choice(["auto", "on", "off"]), help="faster-whisper's batched pipeline: auto uses it for a minute of audio or more on a GPU (on CPU it decodes sequentially).")
@click.option("--batch-size", type=click.IntRange(1, 64), help="30-second windows decoded at once when batched (default: 8 on CPU, from free memory on a GPU).")
@click.option("--vad/--no-vad", default=None, help="Skip non-speech with the Silero VAD (default on).")
@click.option("--stereo", type=click.Choice(["auto", "mix", "split"]), help="Two-party call recordings: transcribe each channel apart (split), mix them, or decide per file (auto).")
@click.option("--cluster", "cluster_address", metavar="ADDRESS", help="Run the models on a Ray cluster (ray://host:10001, auto, or local); default from [cluster] address. Needs the cluster extra.")
@click.option("--force", is_flag=True, help="Transcribe again even when a transcript with these settings exists.")
@click.pass_context
def transcribe(ctx: click.Context, force: bool, cluster_address: str | None, **overrides: object) -> None:
    """Transcribe every pending interview, with word timestamps, into the vault.

    Resumable: after an interruption, a re-run continues where each interview stopped.

    Example:

        research transcribe --engine faster-whisper --model base --workers 2
    """
    from research.config import TranscribeSettings
    from research.transcribe.batch import TranscriptionBatch

    study = _study(ctx)
    settings = TranscribeSettings.model_validate(study.config.transcribe.model_dump() | {k: v for k, v in overrides.items() if v is not None})
    with RichProgress() as progress:
        report = TranscriptionBatch(study, settings, progress, cluster_address or study.config.cluster.address).run(force=force)
    _print_batch_summary(report)
    if report.failed:
        ctx.exit(1)


def _print_batch_summary(report: BatchReport) -> None:
    if not report.outcomes:
        console.print("Nothing to transcribe: every interview is up to date.")
        return
    done = [o for o in report.outcomes if o.status == "done"]
    rtf = f", RTF {report.wall_seconds / report.audio_seconds:.2f}" if report.audio_seconds else ""
    console.print(f"Transcribed {len(done)} of {len(report.outcomes)} interviews ({report.audio_seconds / 60:.1f} min of audio in {report.wall_seconds:.1f} s{rtf}).")
    for outcome in report.empty:
        console.print(f"[yellow]∅[/] {outcome.message}", soft_wrap=True)
    if report.failed:
        console.print(f"[red]{len(report.failed)} failed:[/]")
        for outcome in report.failed:
            console.print(f"[red]✗[/] {outcome.message}", soft_wrap=True)


@cli.command()
@click.option("--speakers", "speaker_count", default="meta", show_default=True, help="Voices per interview: a number, 'auto', or 'meta' (the interviewer plus one per participant in the metadata sheet).")
@click.option("--interview", "codes", multiple=True, help="Only these interviews (e.g. INT-003); repeatable.")
@click.option("--force", is_flag=True, help="Separate again even when nothing changed.")
@click.option("--enrol", "enrol_source", metavar="CODE:SPEAKER|CLIP", help="First enrol the interviewer's voice (a separated speaker, e.g. INT-001:S1, or a clip of the researcher alone); it is recognised in every interview.")
@click.pass_context
def speakers(ctx: click.Context, speaker_count: str, codes: tuple[str, ...], force: bool, enrol_source: str | None) -> None:
    """Separate speakers: give every word a speaker and label interviewer and customers.

    Roles you set with `research role` are kept on every re-run. An enrolled interviewer
    voice (stored as an embedding, never as audio) names the interviewer in every file.

    Example:

        research speakers --speakers 3 --interview INT-004
        research speakers --enrol INT-001:S1
    """
    if speaker_count not in ("auto", "meta") and not (speaker_count.isdigit() and int(speaker_count) > 0):
        raise click.BadParameter("a number, 'auto' or 'meta'", param_hint="--speakers")
    from research.speakers import run_speakers

    study = _study(ctx)
    count = speaker_count if speaker_count in ("auto", "meta") else int(speaker_count)
    known = {row["code"] for row in study.db.query("SELECT code FROM interviews")}
    if unknown := [code for code in codes if code not in known]:  # else "Nothing to separate: every ... is up to date", which is no answer
        raise ResearchError(f"no interview {', '.join(unknown)} (see `research status`)")
    if enrol_source:
        from research.enrolment import enrol

        console.print(enrol(study, enrol_source))
    with waiting("Separating speakers"):  # minutes of silence otherwise: the first run also prepares the speaker models
        results = run_speakers(study, count, list(codes) or None, force)
    _print_stage_results(results, "Nothing to separate: every transcribed interview is up to date.")


@cli.command()
@click.option("--force", is_flag=True, help="Anonymize again even when nothing changed.")
@click.pass_context
def anonymize(ctx: click.Context, force: bool) -> None:
    """Redact PII into study.db (text) and redacted-audio/ (bleeped audio), with study-wide pseudonyms.

    Settings live in research.toml under [anonymize]: style (placeholder or surrogate),
    allow (terms to keep, e.g. your brand), deny (terms always redacted), audio (bleep or silence).

    Example:

        research anonymize
    """
    from research.anonymize.stage import run_anonymize

    study = _study(ctx)
    with waiting("Anonymizing"):
        results = run_anonymize(study, force)
    _print_stage_results(results, "Nothing to anonymize: every separated interview is up to date.")


@cli.command()
@click.option("--learn", is_flag=True, help="First train on your accepted and rejected codings, then re-code with what was learned.")
@click.option("--force", is_flag=True, help="Code again even when nothing changed.")
@click.pass_context
def code(ctx: click.Context, learn: bool, force: bool) -> None:
    """Suggest codes for every customer utterance: rules, embeddings, the emotion model, learned models.

    Your accepted and rejected codings are never overwritten. The codebook is set in research.toml
    under [coding] (default: the bundled cx-journey).

    Example:

        research code --learn
    """
    from research.coding.stage import run_code

    study = _study(ctx)
    redact_old_memos(study)
    with waiting("Coding"):
        results = run_code(study, force, learn)
    if learn:
        count = study.db["learned_models"].count
        console.print(f"Learned {count} code models from your decisions.")
    _print_stage_results(results, "Nothing to code: every anonymized interview is up to date.")
    from research.coding.scope import scope_summary

    console.print(scope_summary(study.db))


@cli.command()
@click.pass_context
def themes(ctx: click.Context) -> None:
    """Find emergent themes in the customer utterances (BERTopic on the stored embeddings): journey talk
    and talk outside the journey apart; your renames, merges, hidden themes and pinned quotes are kept.

    Example:

        research themes
    """
    from rich.markup import escape

    with waiting("Finding themes: loading the embedding and topic models") as wait:
        from research.themes import run_themes

        wait.step("Finding themes: embedding the customer utterances and fitting topics")
        found = run_themes(_study(ctx))
    console.print(f"Found {len(found)} themes in {wall_seconds():.1f} s.")
    for journey, title in ((True, "On the journey"), (False, "Outside the journey")):
        shown = [t for t in found if t.journey == journey]
        if shown:
            table = Table("id", "theme", "utterances", "participants", "stage", box=box.SIMPLE_HEAD, title=title)
            for theme in shown:
                table.add_row(str(theme.id), escape(theme.label), str(theme.size), str(theme.participants), theme.stage or "–")
            console.print(table)
