"""Which column plays which role: auto-detection from headers and values, with overrides.

Headers are matched in English and Chinese after normalisation (lower case, no
spaces/underscores). Free-text columns are recognised by their values (long,
varied strings). When a role cannot be decided, a ColumnError names the file,
the role and the candidates, and says which keyword argument settles it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feedbackiq._errors import ColumnError, InputError
from feedbackiq.ingest._segments import SEGMENT_HEADERS, norm_header, segment_name
from feedbackiq.ingest._values import as_str
from feedbackiq.types import SourceKind

__all__ = ["ColumnPlan", "plan_columns", "ROLES"]

ROLES = ("text", "title", "id", "respondent_id", "created_at", "rating", "deal_value", "deal_stage", "segments", "question")

_ALIASES: dict[str, set[str]] = {
    "id": {"responseid", "reviewid", "id", "noteid", "recordid", "ticketid", "commentid", "feedbackid",
           "序号", "编号", "评论id", "回复id", "记录id", "反馈id", "答卷编号"},
    "respondent_id": {"respondentid", "respondent", "userid", "user", "username", "reviewer", "reviewerid", "author",
                      "customerid", "contactid", "email", "用户id", "用户", "用户名", "受访者id", "受访者", "答题者", "客户id"},
    "account": {"accountid", "account", "accountname", "company", "companyname", "customer", "customername", "organization",
                "客户", "客户名称", "账户", "账户id", "公司", "公司名称", "企业", "企业名称"},
    "text": {"text", "comment", "comments", "feedback", "review", "reviewtext", "body", "content", "note", "notes",
             "message", "description", "verbatim", "answer", "response", "remarks", "评论", "内容", "反馈", "备注",
             "意见", "留言", "评价", "正文", "记录", "跟进记录", "沟通记录", "评论内容", "反馈内容", "拜访记录"},
    "title": {"title", "subject", "headline", "summary", "reviewtitle", "标题", "主题"},
    "rating": {"rating", "score", "stars", "star", "nps", "csat", "ratingvalue", "评分", "星级", "打分", "分数", "推荐度"},
    "created_at": {"date", "createdat", "created", "recordeddate", "submitted", "submittedat", "submitdate", "timestamp",
                   "time", "reviewdate", "datetime", "closedate", "notedate", "日期", "时间", "提交时间", "创建时间",
                   "评论时间", "记录时间", "答题时间", "提交日期"},
    "deal_value": {"dealamount", "amount", "dealvalue", "arr", "acv", "mrr", "revenue", "contractvalue", "opportunityamount",
                   "dealsize", "金额", "合同额", "合同金额", "成交额", "商机金额", "预计金额"},
    "deal_stage": {"stage", "dealstage", "outcome", "opportunitystage", "winloss", "阶段", "商机阶段", "结果", "赢单丢单"},
    "segments": set().union(*SEGMENT_HEADERS.values()),
    "metadata": {"appversion", "version", "locale", "language", "platform", "device", "os", "channel", "source",
                 "版本", "应用版本", "语言", "平台", "设备", "渠道"},
}
# Qualtrics/SurveyMonkey bookkeeping columns: never answers, never segments.
_IGNORE = {"startdate", "enddate", "status", "ipaddress", "progress", "durationinseconds", "duration", "finished",
           "recipientlastname", "recipientfirstname", "recipientemail", "externalreference", "externaldatareference",
           "locationlatitude", "locationlongitude", "distributionchannel", "userlanguage", "collectorid",
           "ip地址", "开始时间", "结束时间", "答题时长"}
_CONTAINS = {"text": ("comment", "feedback", "review", "评论", "反馈", "意见"), "deal_value": ("amount", "金额")}
_NUMERIC = re.compile(r"[\d.,:/\-\s$¥%]+")   # numbers, amounts, dates, times: no words in it


_norm = norm_header


@dataclass
class ColumnPlan:
    source: SourceKind
    layout: str
    text: list[str]
    title: str | None = None
    id: str | None = None
    respondent_id: str | None = None
    created_at: str | None = None
    rating: str | None = None
    deal_value: str | None = None
    deal_stage: str | None = None
    segments: list[str] = field(default_factory=list)
    metadata: list[str] = field(default_factory=list)
    segment_names: dict[str, str] = field(default_factory=dict)   # segment column -> the segment it is

    def roles(self) -> dict[str, str]:
        out = {k: v for k, v in vars(self).items() if isinstance(v, str) and k not in ("layout",)}
        out.pop("source", None)
        out["text"] = ", ".join(self.text)
        if self.segments:   # "公司规模 -> company_size" where a column is read as a segment of another name
            out["segments"] = ", ".join(s if self.segment_names.get(s, s) == s else f"{s} -> {self.segment_names[s]}"
                                        for s in self.segments)
        return out


def plan_columns(
    path: Path,
    header: list[str],
    sample: list[list[Any]],
    *,
    source: SourceKind | None,
    layout: str | None,
    style: str,
    mapping: dict[str, Any],
    segment_names: dict[str, str] | None = None,
) -> ColumnPlan:
    """Decide the role of every column; ``mapping`` (role -> header(s)) wins over detection.

    ``segment_names`` (header -> segment name) names segment columns explicitly; a header it lists is a
    segment column of this file when the file has it and no other role took it.
    """
    unknown = set(mapping) - set(ROLES)
    if unknown:
        raise InputError(f"unknown column role(s) {sorted(unknown)}; known roles: {', '.join(ROLES)}")
    for role, cols in mapping.items():
        for col in [cols] if isinstance(cols, str) else list(cols or []):
            if col not in header:
                raise ColumnError(f"{role}={col!r} is not a column of this file; columns: {header}", file=str(path), column=col)
    columns = {h: [as_str(r[i]) if i < len(r) else "" for r in sample] for i, h in enumerate(header)}
    by_role: dict[str, list[str]] = {role: [] for role in _ALIASES}
    for h in header:
        n = _norm(h)
        if n in _IGNORE:
            continue
        for role, names in _ALIASES.items():
            if n in names:
                by_role[role].append(h)
                break
        else:
            for role, parts in _CONTAINS.items():
                if any(p in n for p in parts) and _free_text_score(columns[h]) > 0:
                    by_role[role].append(h)
                    break

    def one(role: str, candidates: list[str]) -> str | None:
        if role in mapping:
            return mapping[role]
        return candidates[0] if candidates else None

    rating = one("rating", by_role["rating"])
    deal_value = one("deal_value", by_role["deal_value"])
    deal_stage = one("deal_stage", by_role["deal_stage"])
    created = one("created_at", [h for h in by_role["created_at"] if _mostly_dates(columns[h])] or by_role["created_at"])
    title = one("title", by_role["title"])
    id_col = one("id", by_role["id"])
    account = by_role["account"][0] if by_role["account"] else None
    respondent = one("respondent_id", by_role["respondent_id"] or ([account] if account else []))
    segments = list(mapping["segments"]) if "segments" in mapping else _segment_columns(by_role["segments"], columns)
    taken = {c for c in (rating, deal_value, deal_stage, created, title, id_col, respondent, account) if c}
    segments += [h for h in (segment_names or {}) if h in header and h not in segments and h not in taken
                 and "segments" not in mapping]
    taken |= set(segments) | set(by_role["metadata"])

    if source is None:
        source = _guess_source(style, rating, title, deal_value, deal_stage, account, by_role["metadata"])
    if layout is None:
        layout = {SourceKind.SURVEY: "survey_wide", SourceKind.REVIEW: "review", SourceKind.SALES_NOTE: "sales_note"}.get(source, "long")

    if "text" in mapping:
        text = [mapping["text"]] if isinstance(mapping["text"], str) else list(mapping["text"])
    elif layout == "survey_wide":
        text = [h for h in header if h not in taken and _norm(h) not in _IGNORE and _free_text_score(columns[h]) > 0]
        if not text:
            raise ColumnError("no open-text answer columns found in this survey export; pass text=[...] with the question columns", file=str(path))
    else:
        text = [_pick_text(path, header, by_role["text"], columns, taken)]
    if layout != "survey_wide" and len(text) != 1:
        raise ColumnError(f"layout {layout!r} takes one text column, got {text}", file=str(path))
    for col in text:
        _check_not_numbers(path, col, columns, taken | set(text))
    if respondent is None and id_col and layout == "survey_wide":
        respondent = id_col  # a survey response id identifies the respondent
    used = taken | set(text) | {respondent}
    # Everything else the export carries is kept as metadata: nothing is dropped silently.
    metadata = [h for h in by_role["metadata"] if h not in text and h not in segments]
    metadata += [h for h in by_role["account"] if h != respondent]
    metadata += [h for h in header if h not in used and h not in metadata and _norm(h) not in _IGNORE]
    segments = [s for s in segments if s not in text]
    return ColumnPlan(source, layout, text, title, id_col, respondent, created, rating, deal_value, deal_stage,
                      segments, metadata, _segment_names(segments, segment_names))


def _guess_source(style, rating, title, deal_value, deal_stage, account, meta) -> SourceKind:
    if style in ("qualtrics", "surveymonkey"):
        return SourceKind.SURVEY
    if deal_value or deal_stage:
        return SourceKind.SALES_NOTE
    if rating and (title or meta):
        return SourceKind.REVIEW
    if account:
        return SourceKind.SALES_NOTE
    if rating:
        return SourceKind.REVIEW
    return SourceKind.OTHER


def _pick_text(path: Path, header: list[str], named: list[str], columns: dict[str, list[str]], taken: set[str]) -> str:
    named = [h for h in named if h not in taken]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        scored = sorted(named, key=lambda h: -_free_text_score(columns[h]))
        top, second = _free_text_score(columns[scored[0]]), _free_text_score(columns[scored[1]])
        if top > 2 * second:
            return scored[0]
        raise ColumnError(
            f"ambiguous text column: {' or '.join(repr(h) for h in named)}; pass text='...' to choose",
            file=str(path), column=named[0])
    free = sorted(((_free_text_score(columns[h]), h) for h in header if h not in taken), reverse=True)
    free = [(s, h) for s, h in free if s > 0]
    if not free:
        raise ColumnError(f"no free-text column found (columns: {header}); pass text='...' to name it", file=str(path))
    if len(free) > 1 and free[0][0] < 1.5 * free[1][0]:
        raise ColumnError(
            f"ambiguous text column: {free[0][1]!r} or {free[1][1]!r}; pass text='...' to choose",
            file=str(path), column=free[0][1])
    return free[0][1]


def _check_not_numbers(path: Path, col: str, columns: dict[str, list[str]], taken: set[str]) -> None:
    """A column of numbers (scores, ids, amounts, dates) is never the feedback text, even when its
    header says "comment": say so, and which columns do hold free text."""
    vals = [v.strip() for v in columns[col] if v and v.strip()]
    if not vals or not all(_NUMERIC.fullmatch(v) for v in vals):
        return
    free = [h for h, values in columns.items() if h not in taken and _free_text_score(values) > 0]
    raise ColumnError(f"holds only numbers, not free text; free-text candidates: "
                      f"{', '.join(map(repr, free)) or 'none'}; pass text='...' to name the text column",
                      file=str(path), column=col)


def _free_text_score(values: list[str]) -> float:
    """Mean length of distinct non-numeric values, 0 for columns that are not free text."""
    vals = [v.strip() for v in values if v and v.strip()]
    if not vals:
        return 0.0
    words = [v for v in vals if not _NUMERIC.fullmatch(v)]
    if len(words) < 0.5 * len(vals):
        return 0.0
    distinct = len(set(words)) / len(words)
    mean_len = sum(len(v) for v in words) / len(words)
    if distinct < 0.3 or mean_len < 4:
        return 0.0
    return mean_len * distinct


def _segment_columns(named: list[str], columns: dict[str, list[str]]) -> list[str]:
    """Keep named segment columns that are categorical (few distinct values)."""
    out = []
    for h in named:
        vals = [v for v in columns[h] if v.strip()]
        if vals and len(set(vals)) <= max(20, len(vals) // 5):
            out.append(h)
    return out


def _segment_names(segments: list[str], explicit: dict[str, str] | None) -> dict[str, str]:
    """Each segment column's segment name; a second column of one file with a name already taken keeps its header."""
    out: dict[str, str] = {}
    for h in segments:
        name = segment_name(h, explicit)
        out[h] = name if name not in out.values() else h
    return out


def _mostly_dates(values: list[str]) -> bool:
    from feedbackiq.ingest._values import parse_date

    vals = [v for v in values if v.strip()][:50]
    ok = 0
    for v in vals:
        try:
            ok += parse_date(v) is not None
        except ValueError:
            pass
    return bool(vals) and ok >= 0.8 * len(vals)
