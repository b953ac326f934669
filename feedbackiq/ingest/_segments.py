"""One segment, whatever the language of the export: segment columns and values mapped to one name.

A Chinese survey's 公司规模 / 行业 / 套餐 are the English export's ``company_size`` / ``industry`` /
``plan``; 制造业 is ``manufacturing``, 专业版 is ``Pro`` and 1000人以上 is ``1000+``. Without this, the
respondents of one export would be missing from every segment of the other, and a persona by company
size would not hold them.

- Columns: a header that is a known synonym (English or Chinese, compared without case, spaces or
  punctuation) takes its segment's English name; ``segment_names`` (header -> name) says it explicitly.
- Values, once the whole set is read: an explicit ``segment_values`` entry first; then a company-size
  band read as numbers (``1000人以上``, ``1,000+``, ``over 1000`` and ``1000+`` are one band); then the
  built-in Chinese -> English tables of industries and plans; then spelling (``Pro``, ``pro``, ``PRO`` are
  one value). A value is shown as the data spell it most often outside Chinese (else the English name).
- One respondent or account, one value: an account whose notes carry two company sizes counts once,
  under the value most of its rows carry (a tie: the value of its latest row, then the first read). Each
  such case is in ``ledger.segment_conflicts`` and a warning says how many there are.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

from feedbackiq._lang import has_cjk
from feedbackiq.types import FeedbackItem, SegmentConflict, SegmentValueMap, SharedSegments

__all__ = ["SEGMENT_HEADERS", "segment_name", "harmonise_segments", "norm_header", "size_band", "conflict_text", "CONFLICT_RULE"]

log = logging.getLogger("feedbackiq")
CONFLICT_RULE = "the value most of its rows carry; a tie: its latest row's, then the first read"


def norm_header(h: str) -> str:
    """A header compared without case, spaces, underscores or punctuation (``Company Size`` = ``company_size``)."""
    return re.sub(r"[\s_\-.()（）:：/]+", "", unicodedata.normalize("NFKC", h).lower())


# Segment name -> the headers (as norm_header gives them) that mean it, English and Chinese.
SEGMENT_HEADERS: dict[str, frozenset[str]] = {name: frozenset(heads) for name, heads in {
    "company_size": {"companysize", "size", "employees", "employeecount", "numberofemployees", "headcount",
                     "companyheadcount", "organizationsize", "organisationsize", "orgsize", "公司规模", "规模", "企业规模",
                     "员工人数", "员工数", "员工规模", "公司人数", "企业人数", "人员规模"},
    "industry": {"industry", "vertical", "sector", "行业", "所属行业", "行业类别", "行业分类", "行业类型"},
    "plan": {"plan", "tier", "subscription", "subscriptionplan", "pricingplan", "pricingtier", "edition", "套餐",
             "付费版本", "订阅", "订阅套餐", "套餐类型", "付费套餐", "购买版本", "产品版本"},
    "region": {"region", "area", "地区", "区域", "大区"},
    "country": {"country", "国家", "国家地区"},
    "province": {"province", "省份", "省"},
    "market": {"market", "市场"},
    "segment": {"segment", "customersegment", "客户分层", "客户细分", "细分市场"},
    "persona": {"persona", "用户画像"},
    "role": {"role", "jobrole", "jobtitle", "职位", "角色", "岗位", "职务"},
    "department": {"department", "部门"},
    "customer_type": {"customertype", "客户类型", "客户类别"},
}.items()}
_NAME_OF_HEADER = {h: name for name, heads in SEGMENT_HEADERS.items() for h in heads}

# Chinese (and other) spellings of common values -> the English value, per segment name.
_VALUE_TABLES: dict[str, dict[str, str]] = {
    "industry": {
        "manufacturing": "制造业 制造 生产制造 工业制造 mfg", "logistics": "物流 物流运输 运输 仓储物流 物流业",
        "e-commerce": "电商 电子商务 网店 网络零售 ecommerce", "retail": "零售 零售业 门店",
        "software": "软件 软件业 软件开发 软件服务", "education": "教育 教育培训 培训 教育行业",
        "finance": "金融 金融业 银行 金融服务", "healthcare": "医疗 医疗健康 医药 医疗卫生", "internet": "互联网",
        "construction": "建筑 建筑业 建筑工程", "energy": "能源", "government": "政府 政府机构 公共部门",
        "consulting": "咨询 咨询服务", "media": "媒体 传媒 文化传媒", "automotive": "汽车 汽车行业",
        "real estate": "房地产 地产", "agriculture": "农业", "telecom": "电信 通信 通讯",
        "food and beverage": "餐饮 食品饮料", "hospitality": "酒店 住宿", "travel": "旅游 旅行",
        "other": "其他 其它",
    },
    "plan": {
        "Free": "免费版 免费 免费套餐", "Pro": "专业版 专业 专业套餐", "Enterprise": "企业版 企业 企业套餐",
        "Basic": "基础版 基础 基础套餐", "Standard": "标准版 标准", "Premium": "高级版 高级", "Team": "团队版 团队",
        "Business": "商业版 商务版", "Trial": "试用版 试用", "Other": "其他 其它",
    },
}
_SIZE_NAME = "company_size"
_NUM = r"(\d+(?:\.\d+)?)\s*(k|千|万)?"
_SIZE_UNITS = re.compile(r"(employees?|people|persons?|staff|emp\.?|人|名|位|员工|以内)")
_RANGE = re.compile(rf"^{_NUM}\s*(?:-|–|—|~|～|至|到|to)\s*{_NUM}$")
_OPEN_ABOVE = [re.compile(rf"^{_NUM}\s*(?:\+|＋|plus|ormore|orabove|andabove|andup|以上|及以上|或以上)$"),
               re.compile(rf"^(?:over|morethan|above|>=?|≥|超过|大于|多于){_NUM}$")]
_OPEN_BELOW = [re.compile(rf"^(?:under|lessthan|fewerthan|upto|<=?|≤|少于|小于|不到|不足){_NUM}$"),
               re.compile(rf"^{_NUM}\s*(?:以下|及以下|orfewer|orless)$")]
_UNIT = {"k": 1_000, "千": 1_000, "万": 10_000}


def segment_name(header: str, explicit: Mapping[str, str] | None = None) -> str:
    """The segment name a column header stands for: ``explicit[header]``, a known synonym's name, else the header.

    >>> segment_name("公司规模"), segment_name("Company Size"), segment_name("Region (sales)")
    ('company_size', 'company_size', 'Region (sales)')
    """
    if explicit and header in explicit:
        return explicit[header]
    return _NAME_OF_HEADER.get(norm_header(header), header)


def size_band(value: str) -> tuple[int, int | None] | None:
    """A company-size band as ``(low, high)`` (``high`` None: open above), or None when it is not one.

    >>> [size_band(v) for v in ["1000人以上", "1,000+", "over 1000", "51-200 employees", "10人以下", "Pro"]]
    [(1000, None), (1000, None), (1000, None), (51, 200), (1, 10), None]
    """
    s = unicodedata.normalize("NFKC", value).lower().replace(",", "")
    s = re.sub(r"\s+", "", _SIZE_UNITS.sub("", s))
    if not s:
        return None
    if m := _RANGE.match(s):
        return _number(m.group(1), m.group(2)), _number(m.group(3), m.group(4))
    for pattern in _OPEN_ABOVE:
        if m := pattern.match(s):
            return _number(m.group(1), m.group(2)), None
    for pattern in _OPEN_BELOW:
        if m := pattern.match(s):
            return 1, _number(m.group(1), m.group(2))
    return None


def _number(digits: str, unit: str | None) -> int:
    return int(round(float(digits) * _UNIT.get(unit or "", 1)))


def _band_label(band: tuple[int, int | None]) -> str:
    low, high = band
    return f"{low}+" if high is None else f"{low}-{high}"


def _value_key(name: str, value: str, table: Mapping[str, str]) -> tuple[object, str | None]:
    """What a value is (two spellings of one value share the key) and its English name when a table knows it."""
    if name == _SIZE_NAME and (band := size_band(value)) is not None:
        return ("band", band), _band_label(band)
    plain = norm_header(value)
    if plain in table:
        english = table[plain]
        return ("value", norm_header(english)), english
    return ("value", plain or value), None


def _table(name: str) -> dict[str, str]:
    out = {}
    for english, spellings in _VALUE_TABLES.get(name, {}).items():
        for s in [english, *spellings.split()]:
            out[norm_header(s)] = english
    return out


def harmonise_segments(items: Sequence[FeedbackItem], values: Mapping[str, Mapping[str, str]] | None = None
                       ) -> tuple[list[SegmentValueMap], list[SegmentConflict]]:
    """Map every item's segment values to one spelling per value, then one value per respondent and column.

    ``values``: segment name -> {value as written: value to count it as}, applied first (case and spaces
    ignored). Items' ``segments`` are replaced (never changed in place: they are shared); items with the
    same values keep sharing one mapping. Returns the values that were rewritten (how often) and the
    respondents whose rows disagreed, for the ledger.
    """
    groups: dict[int, list[int]] = defaultdict(list)    # each distinct mapping, the items that hold it
    mappings: dict[int, Mapping[str, str]] = {}
    for i, it in enumerate(items):
        if it.segments:
            groups[id(it.segments)].append(i)
            mappings[id(it.segments)] = it.segments
    if not groups:
        return [], []
    counted_as = _canonical_values(mappings, {k: len(v) for k, v in groups.items()}, values or {})
    shared: dict[tuple, SharedSegments] = {}
    rewritten: Counter = Counter()
    for key, members in groups.items():
        old = mappings[key]
        new = {col: counted_as[col][val] for col, val in old.items()}
        for col, val in old.items():
            if new[col] != val:
                rewritten[(col, val, new[col])] += len(members)
        seg = shared.setdefault(tuple(new.items()), SharedSegments(new))
        for i in members:
            items[i].segments = seg
    conflicts = _one_value_per_voice(items, shared)
    maps = [SegmentValueMap(column=c, written=w, counted_as=n, items=k) for (c, w, n), k in sorted(rewritten.items())]
    return maps, conflicts


def _canonical_values(mappings: Mapping[int, Mapping[str, str]], weight: Mapping[int, int],
                      explicit: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """Per column: value as written -> the one spelling of its value (the user's, else the data's most
    frequent outside Chinese, else the English name a table or band gives, else as written)."""
    spellings: dict[str, Counter] = defaultdict(Counter)
    for key, seg in mappings.items():
        for col, val in seg.items():
            spellings[col][val] += weight[key]
    out: dict[str, dict[str, str]] = {}
    for col, counts in spellings.items():
        given = {norm_header(k): v for k, v in explicit.get(col, {}).items()}
        table = _table(col)
        key_of: dict[str, object] = {}
        forced: dict[object, str] = {}
        english: dict[object, str] = {}
        best: dict[object, tuple[int, str]] = {}
        for val, n in counts.items():
            target = given.get(norm_header(val))
            key_of[val], name = _value_key(col, target or val, table)
            if target:
                forced.setdefault(key_of[val], target)
            elif name:
                english.setdefault(key_of[val], name)
            if not target and not has_cjk(val) and n > best.get(key_of[val], (0, ""))[0]:
                best[key_of[val]] = (n, val)
        out[col] = {val: forced.get(k) or (best[k][1] if k in best else None) or english.get(k) or val
                    for val, k in key_of.items()}
    return out


def _one_value_per_voice(items: Sequence[FeedbackItem], shared: dict[tuple, SharedSegments]) -> list[SegmentConflict]:
    """Respondents whose rows carry different values of a column: each keeps one (``CONFLICT_RULE``)."""
    first: dict[str, Mapping[str, str]] = {}
    torn: set[str] = set()
    for it in items:
        rid = it.respondent_id
        if not rid or not it.segments:
            continue
        seen = first.setdefault(rid, it.segments)
        if seen is not it.segments and any(seen.get(c, v) != v for c, v in it.segments.items()):
            torn.add(rid)
    if not torn:
        return []
    rows: dict[str, dict[str, dict[str, dict[tuple, datetime | None]]]] = defaultdict(lambda: defaultdict(dict))
    for it in items:
        if it.respondent_id in torn:
            row = (it.origin.file, it.origin.row) if it.origin else (it.id,)
            for col, val in it.segments.items():
                rows[it.respondent_id][col].setdefault(val, {})[row] = it.created_at
    conflicts, chosen = [], {}
    for rid in sorted(torn):
        for col, by_value in rows[rid].items():
            if len(by_value) < 2:
                continue
            value = max(by_value, key=lambda v: (len(by_value[v]), _latest(by_value[v].values())))
            chosen[(rid, col)] = value
            conflicts.append(SegmentConflict(respondent_id=rid, column=col, chosen=value, rule=CONFLICT_RULE,
                                             rows={v: len(r) for v, r in by_value.items()}))
    for it in items:
        if it.respondent_id in torn:
            new = {c: chosen.get((it.respondent_id, c), v) for c, v in it.segments.items()}
            it.segments = shared.setdefault(tuple(new.items()), SharedSegments(new))
    example = conflicts[0]
    log.warning("%d respondents/accounts carry conflicting segment values across their rows (e.g. %s); each "
                "counts once, under %s (ledger.segment_conflicts)", len({c.respondent_id for c in conflicts}),
                conflict_text(example), CONFLICT_RULE)
    return conflicts


def conflict_text(c: SegmentConflict) -> str:
    """``ACC-1004 company_size: 1000+ (2 rows), 201-1000 (1 row) -> 1000+`` (:meth:`SegmentConflict.text`)."""
    return c.text()


def _latest(dates) -> tuple[int, datetime]:
    known = [d for d in dates if d is not None]
    return (1, max(known)) if known else (0, datetime.min)
