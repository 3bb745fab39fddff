"""Staff edit articles on disk; the running bot picks them up, and a broken edit does not
take answers offline."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.app import open_core
from bot.config import build_config
from tests.factories import make_incoming

ROOT = Path(__file__).resolve().parents[2]

NEW_ARTICLE = """---
id: gio-lam-viec-trung-tam
title: Giờ làm việc của trung tâm công tác xã hội
questions:
  - Trung tâm công tác xã hội làm việc mấy giờ?
  - trung tam cong tac xa hoi lam viec may gio
  - Mấy giờ trung tâm mở cửa?
tags: [trung tâm]
audience: [mọi người]
sources:
  - document: Quy chế làm việc của trung tâm
    article: Điều 1
    effective: 2026-01-01
reviewed: 2026-11-20
---
Trung tâm tiếp dân từ 7 giờ 30 đến 17 giờ, từ thứ Hai đến thứ Sáu.

Đường dây nóng vẫn nhận tin nhắn ngoài giờ.
"""


async def test_an_added_article_is_answered_and_a_broken_edit_keeps_the_old_index(
    tmp_path: Path,
) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge,
                    ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    config = build_config({"database": {"url": f"sqlite:///{tmp_path}/h.db"},
                           "hotline": {"knowledge_dir": str(knowledge)}}, env={})
    core = await open_core(config)
    question = "trung tâm công tác xã hội làm việc mấy giờ"
    before = await core.dispatcher.handle(make_incoming(question, user="1"))
    assert "gio-lam-viec-trung-tam" not in before.articles
    (knowledge / "articles" / "gio-lam-viec-trung-tam.md").write_text(NEW_ARTICLE, "utf-8")
    assert await core.refresh_knowledge()
    after = await core.dispatcher.handle(make_incoming(question, user="2"))
    assert after.articles[:1] == ("gio-lam-viec-trung-tam",)
    (knowledge / "articles" / "hong.md").write_text("---\nid: [broken\n---\n", "utf-8")
    assert not await core.refresh_knowledge()  # refused, logged
    still = await core.dispatcher.handle(make_incoming(question, user="3"))
    assert still.articles[:1] == ("gio-lam-viec-trung-tam",)
    await core.close()
