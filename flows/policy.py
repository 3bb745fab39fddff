"""Policy questions: answer from a reviewed article with its legal source, or say honestly
that we do not know and offer a counsellor. Never a made-up answer or figure."""

from __future__ import annotations

from datetime import datetime

from flows import entitlement, safety_net
from flows.menu import MENU_COUNSELLOR, main_menu
from flows.messages import Button, Outgoing
from flows.ports import Article, PolicySearch, SearchResult
from flows.turn import FlowName, Step, Turn

ARTICLE = "kb:"  # kb:<article id>: show this article
FEEDBACK = "fb:"  # fb:up:<article id> / fb:down:<article id>
MAX_RELATED = 2


async def ask(turn: Turn) -> Step:
    """The menu button: invite a question."""
    return Step(
        route="policy", replies=[Outgoing(turn.text("policy_ask"))], flow=FlowName.POLICY, data={}
    )


def _search(turn: Turn) -> PolicySearch | None:
    return turn.services.search


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def answer(
    turn: Turn, article: Article, question: str, result: SearchResult | None = None
) -> Step:
    search = _search(turn)
    related: list[Article] = []
    if search is not None:
        for related_id in article.related[:MAX_RELATED]:
            try:
                related.append(search.article(related_id))
            except KeyError:
                continue  # kb check reports unknown ids; a person just sees fewer buttons
    rows: list[tuple[Button, ...]] = [
        (Button(r.title, f"{ARTICLE}{r.id}"),) for r in related
    ]
    rows.append((turn.button("menu_counsellor", MENU_COUNSELLOR),))
    rows.append(
        (
            turn.button("helpful_yes", f"{FEEDBACK}up:{article.id}"),
            turn.button("helpful_no", f"{FEEDBACK}down:{article.id}"),
        )
    )
    # The paragraph that answers what was asked comes right after the short answer, so a
    # question about the papers is not answered with the amount first.
    details = _paragraphs(article.details)
    lead = result.passage if result is not None and result.passage in details else ""
    rest = "\n\n".join(p for p in details if p != lead)
    person = result.asked.person if result is not None and result.asked is not None else None
    text = turn.text("policy_answer", article=article, person=person, lead=lead, rest=rest)
    data: dict[str, object] = {"last_question": question, "last_article": article.id}
    if result is not None:
        data |= remembered(turn, result)
    else:  # picked from "which one?": the question's subject still holds
        data |= {k: turn.data[k] for k in (entitlement.SUBJECT, entitlement.SUBJECT_AT)
                 if k in turn.data}
    return Step(
        route="policy",
        replies=[Outgoing(text, buttons=tuple(rows))],
        flow=FlowName.MENU,
        data=data,
        articles=(article.id,),
    )


def remembered(turn: Turn, result: SearchResult) -> dict[str, object]:
    """What a follow-up may lean on: the subject of this question, answered or not ("Mẹ tôi
    vừa mất… có được hỗ trợ mai táng không?" then "thế hồ sơ gồm những gì?")."""
    return entitlement.lean_on(result.subject, turn.now)


def previous_question(turn: Turn) -> str | None:
    """The subject of the last question, while a follow-up may still lean on it."""
    subject = turn.data.get(entitlement.SUBJECT)
    answered = turn.data.get(entitlement.SUBJECT_AT)
    if not isinstance(subject, str) or not subject or not isinstance(answered, str):
        return None
    try:
        at = datetime.fromisoformat(answered)
    except ValueError:
        return None
    return subject if turn.now - at <= turn.services.policy.context else None


async def question(turn: Turn) -> Step:
    """Free text that may be a policy question."""
    text = turn.incoming.text.strip()
    search = _search(turn)
    if search is None:
        return await safety_net.review(turn) if safety_net.needs_human(turn) else no_answer(
            turn, text)
    previous = previous_question(turn)
    last = turn.data.get("last_article") if previous else None
    result = await search.find(text, limit=3, previous=previous,
                               previous_article=last if isinstance(last, str) else None)
    hits = list(result.hits)
    if hits and result.confident and not result.ambiguous:
        return answer(turn, search.article(hits[0].article_id), text, result)
    story = entitlement.from_story(turn, result.asked.focus) if result.asked else None
    if story is not None and not result.follows:
        # "Dì tôi 81 tuổi, không chồng con… có được trợ cấp hằng tháng không?": no one article
        # answers a story, but what it tells of the person decides what is paid.
        return await entitlement.start(turn, story, result.subject)
    nearest = hits[0].article_id if hits else None
    if safety_net.needs_human(turn):
        # Someone telling of their situation is never asked to rephrase, nor to pick an
        # article: a human reads it.
        await turn.tx.feedback.add_unanswered(turn.person.id, text, nearest, "no_answer", turn.now)
        step = await safety_net.review(turn)
        step.data = {**(step.data or {}), **remembered(turn, result)}
        return step
    if hits and result.ambiguous:
        await turn.tx.feedback.add_unanswered(turn.person.id, text, nearest, "which", turn.now)
        choices = tuple((Button(h.title, f"{ARTICLE}{h.article_id}"),) for h in hits[:3])
        return Step(
            route="policy",
            replies=[
                Outgoing(
                    turn.text("policy_which"),
                    buttons=choices + ((turn.button("menu_counsellor", MENU_COUNSELLOR),),),
                )
            ],
            flow=FlowName.MENU,
            data={"last_question": text, **remembered(turn, result)},
            articles=tuple(h.article_id for h in hits[:3]),
        )
    await turn.tx.feedback.add_unanswered(turn.person.id, text, nearest, "no_answer", turn.now)
    step = no_answer(turn, text)
    step.data = {**(step.data or {}), **remembered(turn, result)}
    return step


def no_answer(turn: Turn, text: str) -> Step:
    return Step(
        route="policy",
        replies=[
            Outgoing(
                turn.text("policy_no_answer"),
                buttons=((turn.button("menu_counsellor", MENU_COUNSELLOR),),) + main_menu(turn)[:1],
            )
        ],
        flow=FlowName.MENU,
        data={"last_question": text},
    )


async def show_article(turn: Turn) -> Step:
    """A related-question or 'which one' button."""
    search = _search(turn)
    article_id = turn.incoming.button.removeprefix(ARTICLE)
    if search is None:
        return no_answer(turn, "")
    try:
        article = search.article(article_id)
    except KeyError:
        return Step(route="fallback", replies=[Outgoing(turn.text("stale_button"),
                                                        buttons=main_menu(turn))])
    return answer(turn, article, str(turn.data.get("last_question", "")))


async def feedback(turn: Turn) -> Step:
    parts = turn.incoming.button.split(":", 2)
    helpful = len(parts) == 3 and parts[1] == "up"
    article_id = parts[2] if len(parts) == 3 else ""
    await turn.tx.feedback.add_rating(
        turn.person.id, article_id, helpful, str(turn.data.get("last_question", "")), turn.now
    )
    template = "feedback_thanks_up" if helpful else "feedback_thanks_down"
    buttons = () if helpful else ((turn.button("menu_counsellor", MENU_COUNSELLOR),),)
    return Step(route="policy", replies=[Outgoing(turn.text(template), buttons=buttons)])
