"""`hotline`: the command line for a centre's IT person.

    hotline run                  start the configured channels (console when no token is set)
    hotline chat                 talk to the bot in this terminal
    hotline ask [--json] TEXT…   answer each TEXT as a new person ('-' reads lines from stdin)
    hotline kb check             validate the knowledge base
    hotline kb gaps              questions it did not serve, masked, by article
    hotline triage export        counsellors' corrections as labelled JSONL (masked)
    hotline triage eval FILE     triage's figures on a labelled file (YAML or JSONL)
    hotline migrate              apply pending migrations and list them
    hotline backup PATH          copy the SQLite database while it runs (PostgreSQL: pg_dump)
    hotline doctor               check the configuration against the database, Telegram, Zalo
    hotline report --from D --to D [--format csv|html]   a period's cases, or its report
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal, TextIO

from bot import doctor, jobs, store_commands
from bot.app import console_channel, oauth_client, open_core, open_hotline, wall_clock
from bot.config import Config, ConfigError, load_config
from bot.core import Core
from bot.lease import StartRefused
from bot.logs import setup_logging
from bot.store.schema import SchemaTooNew
from flows.messages import Handled, Incoming, IncomingKind
from flows.ports import Clock

NO_TOKEN = (
    "No Telegram token: set telegram.token in config.yaml or HOTLINE_TELEGRAM_TOKEN "
    "(create a bot with @BotFather); starting the local console instead."
)


def config_path(arg: str | None) -> Path:
    return Path(arg or os.environ.get("HOTLINE_CONFIG", "config.yaml"))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hotline", description="Social-work hotline chatbot")
    p.add_argument("--config", help="path to config.yaml (default: ./config.yaml)")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start the configured channels")
    chat = sub.add_parser("chat", help="talk to the bot in this terminal")
    chat.add_argument("--name", default="", help="your first name, as the bot sees it")
    ask = sub.add_parser("ask", help="answer messages, each as a new person")
    ask.add_argument("--json", action="store_true", help="one JSON object per message")
    ask.add_argument("texts", nargs="+", metavar="TEXT", help="messages; '-' reads stdin lines")
    sub.add_parser("migrate", help="apply pending database migrations and list them all")
    backup = sub.add_parser("backup", help="copy the database (SQLite) while the bot runs")
    backup.add_argument("path", metavar="PATH", help="a new file for the copy")
    sub.add_parser("doctor", help="check the configuration against the real services")
    purge = sub.add_parser("purge", help="delete data past its retention time")
    purge.add_argument("--dry-run", action="store_true", help="only say what would go")
    audit = sub.add_parser("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    export = audit_sub.add_parser("export", help="print the audit log as CSV")
    export.add_argument("--since", help="only entries on or after this date (YYYY-MM-DD)")
    zalo = sub.add_parser("zalo", help="Zalo Official Account tools")
    zalo_sub = zalo.add_subparsers(dest="zalo_command", required=True)
    authorize = zalo_sub.add_parser("authorize", help="the first authorisation of the OA")
    authorize.add_argument("--redirect-uri", required=True,
                           help="the callback URL registered for the Zalo app")
    authorize.add_argument("--code", help="the code from the callback (asked for if missing)")
    authorize.add_argument("--verifier", help="the code verifier printed by an earlier run")
    kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    kb_sub.add_parser("check", help="validate articles and templates")
    gaps = kb_sub.add_parser("gaps", help="unanswered and 👎-rated questions, masked, by article")
    gaps.add_argument("--since", help="only questions on or after this date (YYYY-MM-DD;"
                      " default: the last 30 days)")
    gaps.add_argument("--limit", type=positive_int, default=GAPS_LIMIT, metavar="N",
                      help=f"at most N articles, and N questions under each (default"
                      f" {GAPS_LIMIT})")
    triage = sub.add_parser("triage", help="triage corrections and figures")
    triage_sub = triage.add_subparsers(dest="triage_command", required=True)
    triage_export_p = triage_sub.add_parser(
        "export", help="counsellors' corrections as labelled JSONL, personal details masked")
    triage_export_p.add_argument("--since", help="only cases corrected on or after this date"
                                 " (YYYY-MM-DD)")
    triage_export_p.add_argument("--output", help="write to this file (default: stdout)")
    triage_eval_p = triage_sub.add_parser("eval", help="triage's figures on a labelled file")
    triage_eval_p.add_argument("file", metavar="FILE", help="labelled messages, YAML or JSONL")
    report = sub.add_parser("report", help="a period's cases as CSV, or the printable report")
    report.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD",
                        help="the first day (the centre's time zone)")
    report.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD",
                        help="the last day, included (at most 366 days in all)")
    report.add_argument("--format", choices=("csv", "html"), default="csv",
                        help="csv: one row per case (UTF-8 with BOM); html: the printable report")
    report.add_argument("--output", help="write to this file (default: stdout)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        config = load_config(config_path(args.config))
    except ConfigError as exc:
        print(f"hotline: configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(config.logging.level)
    clock = wall_clock  # the one clock (bot/app.py), handed to whatever the command builds
    try:
        if args.command == "run":
            return asyncio.run(run(config, clock=clock))
        if args.command == "chat":
            return asyncio.run(chat(config, args.name, clock=clock))
        if args.command == "ask":
            return asyncio.run(ask(config, read_texts(args.texts, sys.stdin), args.json,
                                   clock=clock))
        if args.command == "kb" and args.kb_command == "gaps":
            return asyncio.run(kb_gaps(config, args.since, args.limit, sys.stdout, clock=clock))
        if args.command == "kb":
            return kb_check(config, clock=clock)
        if args.command == "zalo":
            return asyncio.run(zalo_authorize(config, args.redirect_uri, args.code,
                                              args.verifier, clock=clock))
        if args.command == "purge":
            return asyncio.run(purge(config, args.dry_run, clock=clock))
        if args.command == "migrate":
            return asyncio.run(store_commands.migrate(config, sys.stdout, clock=clock))
        if args.command == "backup":
            return asyncio.run(store_commands.backup(config, args.path, sys.stdout, clock=clock))
        if args.command == "doctor":
            return asyncio.run(doctor.doctor(config, sys.stdout, clock=clock))
        if args.command == "audit":
            return asyncio.run(audit_export(config, args.since, sys.stdout, clock=clock))
        if args.command == "triage" and args.triage_command == "export":
            return asyncio.run(triage_export(config, args.since, args.output, sys.stdout,
                                             clock=clock))
        if args.command == "triage":
            return triage_eval(config, args.file, sys.stdout)
        if args.command == "report":
            from bot.reporting.command import report

            return asyncio.run(report(config, args.start, args.end, args.format, args.output,
                                      sys.stdout, clock=clock))
    except ConfigError as exc:
        print(f"hotline: configuration error: {exc}", file=sys.stderr)
        return 2
    except (StartRefused, SchemaTooNew) as exc:
        print(f"hotline: not started: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 2


# ---------------------------------------------------------------- run and chat


async def run(config: Config, *, clock: Clock) -> int:
    if not config.telegram.token and not config.zalo.enabled:
        print(NO_TOKEN, file=sys.stderr)
        return await chat(config, "", clock=clock)
    hotline = await open_hotline(config, clock=clock)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await hotline.serve(stop)
    finally:
        await hotline.core.close()
    return 0


async def chat(config: Config, name: str, *, clock: Clock) -> int:
    # Operator logs would interleave with the conversation on the same terminal.
    root = logging.getLogger()
    if root.level > logging.DEBUG:
        root.setLevel(logging.WARNING)

    core = await open_core(config, clock=clock)
    try:
        await console_channel(core, first_name=name).run()
    finally:
        await core.close()
    return 0


# ---------------------------------------------------------------- ask


def read_texts(args: Iterable[str], stdin: TextIO) -> list[str]:
    texts: list[str] = []
    for arg in args:
        if arg == "-":
            texts.extend(line.rstrip("\n") for line in stdin if line.strip())
        else:
            texts.append(arg)
    return texts


def handled_json(handled: Handled) -> str:
    return json.dumps(
        {
            "route": handled.route,
            "urgency": handled.urgency,
            "category": handled.category,
            "articles": list(handled.articles),
            "reply": handled.reply_text,
        },
        ensure_ascii=False,
    )


async def ask(config: Config, texts: list[str], as_json: bool, *, clock: Clock) -> int:
    # Scripts and evaluations must not leave made-up people in the centre's database.
    core: Core = await open_core(config, clock=clock, database_url="sqlite:///:memory:")
    try:
        for text in texts:
            incoming = Incoming(
                channel="ask",
                user_id=uuid.uuid4().hex,
                event_id=uuid.uuid4().hex,
                kind=IncomingKind.TEXT,
                received_at=core.clock(),
                text=text,
            )
            handled = await core.dispatcher.handle(incoming)
            print(handled_json(handled) if as_json else f"{handled.reply_text}\n", flush=True)
    finally:
        await core.close()
    return 0


# ---------------------------------------------------------------- zalo authorize


async def zalo_authorize(
    config: Config, redirect_uri: str, code: str | None, verifier: str | None, *,
    clock: Clock,
) -> int:
    """Open the permission URL as the OA's admin, then give the code Zalo sends back."""
    from bot.channels.zalo.api import OAuthError
    from bot.channels.zalo.authorize import exchange_code, start_authorization, store_tokens

    if not (config.zalo.app_id and config.zalo.app_secret):
        print("hotline: configuration error: zalo.app_id and zalo.app_secret are needed to"
              " authorize", file=sys.stderr)
        return 2
    if code is None or verifier is None:
        auth = start_authorization(config, redirect_uri)
        verifier = auth.code_verifier
        print(f"1. Open this URL as the Official Account's admin:\n{auth.url}\n")
        print(f"2. Zalo redirects to {redirect_uri}?code=…&state={auth.state}")
        print(f"   (code verifier, if you finish later with --code: {verifier})")
        if code is None:
            code = (await asyncio.to_thread(input, "3. Paste the code here: ")).strip()
    try:
        async with oauth_client() as client:
            tokens = await exchange_code(client, config, code, verifier, now=clock())
    except OAuthError as exc:
        print(f"hotline: Zalo refused the code: {exc}", file=sys.stderr)
        return 1
    core = await open_core(config, clock=clock)
    try:
        await store_tokens(core.store, config, tokens)
    finally:
        await core.close()
    print("Zalo tokens stored; `hotline run` will refresh them from now on.")
    return 0


# ---------------------------------------------------------------- purge and audit


async def purge(config: Config, dry_run: bool, *, clock: Clock) -> int:
    core = await open_core(config, clock=clock)
    try:
        report = await jobs.purge(core, dry_run=dry_run)
    finally:
        await core.close()
    if report is None:
        print("Another purge is running (by `hotline run` or another instance); nothing was"
              " done. Try again in a few minutes.", file=sys.stderr)
        return 1
    verb = "would delete" if dry_run else "deleted"
    for kind, count in report.counts.items():
        print(f"{verb} {count} {kind}")
    print(f"{verb} {report.total} rows in all")
    return 0


def parse_since(config: Config, since: str | None) -> datetime | Literal[""] | None:
    """--since as the start of that day in the centre's time zone; "" when not given, None
    (after saying so) when it is not a date."""
    if not since:
        return ""
    try:
        return datetime.fromisoformat(since).replace(tzinfo=config.hotline.tz)
    except ValueError:
        print(f"hotline: --since: {since!r} is not a date like 2026-11-01", file=sys.stderr)
        return None


async def audit_export(config: Config, since: str | None, out: TextIO, *, clock: Clock) -> int:
    """Who did what to which case, when: for supervisors and data-protection reviews."""
    import csv

    start = parse_since(config, since)
    if start is None:
        return 2
    core = await open_core(config, clock=clock)
    try:
        rows = await core.store.views.audit_entries(start.isoformat() if start else "")
    finally:
        await core.close()
    writer = csv.writer(out)
    writer.writerow(["at", "actor", "action", "case_id", "detail"])
    writer.writerows(rows)
    return 0


# ---------------------------------------------------------------- triage export and eval


async def triage_export(config: Config, since: str | None, output: str | None, out: TextIO, *,
                        clock: Clock) -> int:
    """Every case a counsellor corrected, as labelled JSONL (knowledge/labelled.py reads it):
    the person's words with names, numbers and addresses masked, no ids of people or staff."""
    from flows.corrections import case_text, labelled_record
    from knowledge.masking import mask

    start = parse_since(config, since)
    if start is None:
        return 2
    core = await open_core(config, clock=clock)
    try:
        cases = await core.store.views.corrected_cases(start or None)
    finally:
        await core.close()
    records = []
    for corrected in cases:
        text = mask(case_text(corrected), [corrected.first_name])
        if text.strip():  # only button presses, or erased since: nothing to learn from
            records.append(json.dumps(labelled_record(corrected, text), ensure_ascii=False))
    body = "".join(f"{line}\n" for line in records)
    if output:
        try:
            await asyncio.to_thread(Path(output).write_text, body, encoding="utf-8")
        except OSError as exc:
            print(f"hotline: --output: cannot write {output}: {exc.strerror}", file=sys.stderr)
            return 2
        print(f"wrote {len(records)} corrected cases to {output}", file=sys.stderr)
    else:
        out.write(body)
    return 0


def triage_eval(config: Config, file: str, out: TextIO) -> int:
    """The figures of knowledge/triage_report.py for a labelled file, with the shipped triage
    (rules and model) of the configured knowledge folder."""
    from bot.app import load_triage
    from knowledge.labelled import LabelledDataError, load
    from knowledge.text import Abbreviations
    from knowledge.triage import TriageRules
    from knowledge.triage_report import evaluate, lines

    knowledge = config.knowledge_path
    try:
        triage = load_triage(knowledge, Abbreviations.load(knowledge / "teencode.yaml"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"hotline.knowledge_dir: {exc}") from None
    rules = triage.rules
    categories = rules.categories if isinstance(rules, TriageRules) else None
    path = Path(file)
    try:
        messages = load(path, categories)
    except OSError as exc:
        print(f"hotline: triage eval: cannot read {file}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    except (LabelledDataError, UnicodeDecodeError) as exc:
        print(f"hotline: triage eval: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    report = evaluate(path.name, messages, triage.verdict)
    out.write("\n".join(lines(report)) + "\n")
    return 0


# ---------------------------------------------------------------- kb check


def kb_check(config: Config, *, clock: Clock) -> int:
    from knowledge.check import check_knowledge

    today = clock().astimezone(config.hotline.tz).date()
    problems = check_knowledge(config.knowledge_path, today, config.hotline.kb_max_age_days)
    for problem in problems:
        print(f"{problem.severity}: {problem.where}: {problem.message}")
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    try:
        print(triage_mode(config), file=sys.stderr)
    except (OSError, ValueError) as exc:
        print(f"error: triage: {exc}")
        errors += 1
    if not errors:
        print(search_mode(config), file=sys.stderr)
    print(f"knowledge base: {errors} errors, {warnings} warnings", file=sys.stderr)
    return 1 if errors else 0


GAPS_LIMIT = 20
GAPS_DAYS = 30


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number above 0")
    return value


async def kb_gaps(config: Config, since: str | None, limit: int, out: TextIO, *,
                  clock: Clock) -> int:
    """The questions the bot could not answer and those of 👎-rated answers, by nearest
    article, masked of names and every number: what the editors should write or fix next."""
    from flows.reports import gap_groups, gap_lines
    from knowledge.articles import load_articles
    from knowledge.masking import mask

    start = parse_since(config, since)
    if start is None:
        return 2
    if not start:
        day = (clock().astimezone(config.hotline.tz) - timedelta(days=GAPS_DAYS)).date()
        start = datetime(day.year, day.month, day.day, tzinfo=config.hotline.tz)
    core = await open_core(config, clock=clock)
    try:
        questions = await core.store.views.gap_questions(start)
    finally:
        await core.close()
    try:
        articles = await asyncio.to_thread(load_articles, config.knowledge_path / "articles")
        titles = {a.id: a.title for a in articles}
    except (OSError, ValueError):  # `hotline kb check` says what is wrong; ids still show
        titles = {}
    groups = gap_groups(questions, lambda q: mask(q.question, [q.first_name], every_number=True))
    out.write("\n".join(gap_lines(groups, start.date().isoformat(), titles, limit)) + "\n")
    return 0


def search_mode(config: Config) -> str:
    """Which retrieval policy search runs with here, in one line (builds the index, so
    missing passage vectors are embedded and cached now rather than at the bot's start)."""
    from bot.app import load_search, search_encoder

    encoder, why = search_encoder(config)
    search = load_search(config)
    if encoder is None:
        return f"policy search: BM25 only ({why})"
    line = (f"policy search: BM25 + dense retrieval, {encoder.name}; "
            f"{search.passages} passage vectors")
    model = search.model
    if model is None:
        return line + "; no article model (knowledge/search_model.npz)"
    unknown = sorted({a.id for a in search.articles} - model.articles)
    line += f"; article model of {len(model.articles)} articles"
    if unknown:  # added since training: ranked as before, never answered by the model
        line += (f", not trained on {len(unknown)} ({', '.join(unknown[:5])}"
                 f"{', …' if len(unknown) > 5 else ''}): run benchmarks/train_search.py")
    return line


def triage_mode(config: Config) -> str:
    """Which triage layers this knowledge folder runs, in one line."""
    from bot.app import load_triage
    from knowledge.text import Abbreviations

    knowledge = config.knowledge_path
    triage = load_triage(knowledge, Abbreviations.load(knowledge / "teencode.yaml"))
    if triage.model is None:
        return "triage: rules only (no triage_model.json.gz in the knowledge folder)"
    t = triage.thresholds
    return (f"triage: rules and statistical model (raise at p>={t.raise_at}, "
            f"critical at p>={t.critical_at}, review at p>={t.review_at})")


if __name__ == "__main__":
    raise SystemExit(main())
