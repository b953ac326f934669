"""What customers said: each need's quotes, collapsed, with its themes inside; a search box over all of them."""

from __future__ import annotations

from feedbackiq.report._context import Context
from feedbackiq.report._html import chips, esc, lang_attr, num, pct, section
from feedbackiq.types import Need, Quote, Theme

__all__ = ["quotes_section", "SOURCE_LABELS"]

SOURCE_LABELS = {"survey": "survey", "review": "review", "sales_note": "sales", "support_ticket": "support", "other": "other"}


class _Quoter:
    """Quote blocks, each tagged with the filter options that keep its item (hidden under the others)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        groups = [*ctx.needs, *ctx.report.non_needs, *ctx.report.themes, *([ctx.report.other] if ctx.report.other else [])]
        wanted = {q.item_id for g in groups for q in g.quotes}
        items = ctx.report.feedback.items if ctx.report.feedback else []
        self.index = {it.id: i for i, it in enumerate(items) if it.id in wanted}
        self.language = {it.id: it.language for it in items if it.id in wanted}

    def quote(self, q: Quote) -> str:
        i = self.index.get(q.item_id)
        keeps = (f' data-f="{" ".join(map(str, self.ctx.facts.option_ids(i, self.ctx.options)))}"'
                 if i is not None and self.ctx.facts is not None else "")
        who = f" · {esc(q.respondent_id)}" if q.respondent_id else ""
        return (f'<blockquote class="quote"{keeps}><p{lang_attr(self.language.get(q.item_id))}>{esc(q.text)}</p>'
                f'<footer><span class="src src-{esc(q.source.value)}">{esc(SOURCE_LABELS.get(q.source.value, q.source.value))}'
                f"</span>{who} · <code>{esc(q.item_id)}</code></footer></blockquote>")


def _facts(g: Theme | Need) -> str:
    facts = [f"{num(g.respondents)} respondents ({pct(g.respondent_share)})", f"{num(g.size)} items"]
    if g.mean_rating is not None:
        facts.append(f"mean review rating {num(g.mean_rating, 2)}")
    if g.by_source:
        facts.append("sources: " + ", ".join(f"{SOURCE_LABELS.get(k, k)} {v}" for k, v in
                                              sorted(g.by_source.items(), key=lambda kv: -kv[1])))
    return esc(" · ".join(facts))


def _described(g: Theme | Need) -> str:
    parts = []
    if g.need_statement:
        parts.append(f'<p class="need"><b>Need:</b> {esc(g.need_statement)}</p>')
    if g.moscow:
        parts.append(f'<p class="need"><b>Priority suggestion:</b> {esc(g.moscow)}'
                     f'{" — " + esc(g.moscow_rationale) if g.moscow_rationale else ""}</p>')
    if g.label_note:
        parts.append(f'<p class="muted">{esc(g.label_note)}</p>')
    return "".join(parts)


def _theme(t: Theme, quoter: _Quoter, shown: set[str]) -> str:
    quotes = [q for q in t.quotes if q.item_id not in shown]
    shown.update(q.item_id for q in quotes)
    subs = ('<p class="muted">Sub-themes: ' + esc("; ".join(f"{s.name} ({s.size} items)" for s in t.subthemes)) + "</p>"
            if t.subthemes else "")
    return (f'<article class="theme" id="theme-{t.id}"><h4>{esc(t.name)}</h4><p class="facts">{_facts(t)}</p>'
            f'{_described(t)}<div class="chips">{chips(t.keywords[:8])}</div>'
            + "".join(quoter.quote(q) for q in quotes) + f"{subs}</article>")


def _need(ctx: Context, n: Need, color: str, quoter: _Quoter, kind: str, open_: bool = False) -> str:
    themes = {t.id: t for t in ctx.report.themes}
    shown = {q.item_id for q in n.quotes}
    inner = "".join(_theme(themes[t], quoter, shown) for t in n.theme_ids if t in themes)
    count = len(n.quotes) + sum(len(themes[t].quotes) for t in n.theme_ids if t in themes)
    return (f'<details class="need-quotes {kind}" id="need-{n.id}"{" open" if open_ else ""}><summary>'
            f'<span class="dot" style="background:{color}"></span><b>{esc(n.name)}</b> '
            f'<span class="muted">{_facts(n)} · {len(n.theme_ids)} theme{"s" if len(n.theme_ids) != 1 else ""} · '
            f"up to {count} quotes</span></summary>{_described(n)}"
            f'<div class="chips">{chips(n.keywords[:10])}</div>'
            + "".join(quoter.quote(q) for q in n.quotes) + f"{inner}</details>")


def quotes_section(ctx: Context) -> str:
    quoter = _Quoter(ctx)
    blocks = [_need(ctx, n, ctx.colors[n.id], quoter, "is-need") for n in ctx.needs]
    blocks += [_need(ctx, n, ctx.colors[n.id], quoter, "is-praise") for n in ctx.report.non_needs]
    if ctx.report.other:
        o = ctx.report.other
        blocks.append(f'<details class="need-quotes is-other"><summary><span class="dot" style="background:{ctx.colors[-1]}">'
                      f'</span><b>{esc(o.name)}</b> <span class="muted">{_facts(o)}</span></summary>'
                      f"{_theme(o, quoter, set())}</details>")
    tools = ('<div class="quote-tools"><input type="search" id="quote-search" placeholder="Search the quotes (any '
             'language)" aria-label="search the quotes"> <span id="quote-count" class="muted"></span> '
             '<button type="button" id="quotes-open">Open all</button> <button type="button" id="quotes-close">'
             "Close all</button></div>")
    return section("quotes", "What customers said, need by need",
                   "Click a need to read its quotes: first the most typical of the need, then each theme (a way "
                   "customers put it) with its own. Verbatim, with where each came from and who said it. The search "
                   "opens every need with a match; praise and small talk come last, apart.",
                   tools + "".join(blocks))
