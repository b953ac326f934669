"""Make the synthetic sample bundle in datasets/samples/ (deterministic; see datasets/README.md).

    python datasets/make_samples.py [--out DIR] [--seed 7]

Everything here is invented: companies, people, ids and texts. No LLM, no network.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import string
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _banks import CORES, DETAILS, NOISE, OPENERS, REQUESTS  # noqa: E402

LAUNCH = datetime(2026, 6, 15)  # app 3.2.0: battery complaints jump after this date
PERSONAS = {
    "enterprise_manufacturer": {
        "size": ["1000+", "201-1000"], "industry": ["manufacturing", "logistics"], "plan": ["Enterprise"],
        "survey": {"supply_coord": 30, "permissions": 22, "support": 15, "dialect": 6, "battery": 7, "camera": 5,
                   "onboarding": 5, "pricing": 2, "noise": 8},
        "crm": {"supply_coord": 30, "dialect": 25, "permissions": 20, "support": 10, "pricing": 5, "noise": 10},
        "deal": (60_000, 400_000), "nps": 7,
    },
    "small_ecommerce": {
        "size": ["1-10", "11-50"], "industry": ["e-commerce", "retail"], "plan": ["Free", "Pro"],
        "survey": {"pricing": 28, "supply_cost": 25, "onboarding": 18, "support": 8, "battery": 6, "camera": 5, "noise": 10},
        "crm": {"supply_cost": 35, "pricing": 35, "onboarding": 15, "noise": 15},
        "deal": (2_000, 15_000), "nps": 6,
    },
    "midmarket_software": {
        "size": ["51-200"], "industry": ["software", "education"], "plan": ["Pro", "Enterprise"],
        "survey": {"onboarding": 22, "permissions": 25, "camera": 10, "battery": 12, "support": 12, "pricing": 8, "noise": 11},
        "crm": {"permissions": 30, "onboarding": 20, "pricing": 20, "dialect": 5, "noise": 25},
        "deal": (15_000, 60_000), "nps": 7,
    },
}
ZH_INDUSTRY = {"manufacturing": "制造业", "logistics": "物流", "e-commerce": "电商", "retail": "零售", "software": "软件", "education": "教育"}
ZH_PLAN = {"Free": "免费版", "Pro": "专业版", "Enterprise": "企业版"}
NPS_PENALTY = {"pricing": -2, "support": -3, "battery": -1, "noise": 2, "onboarding": -1}
RATING = {"battery": (1, 2), "camera": (2, 3), "dialect": (2, 3), "onboarding": (2, 4), "pricing": (2, 3),
          "support": (1, 2), "permissions": (2, 3), "noise": (4, 5)}
NON_ANSWERS = {"en": ["n/a", "nothing", "-", "no comment", "N/A", "none"], "zh": ["无", "没有", "不知道"]}


def theme_key(theme: str) -> str:
    """Truth label: the two supply-chain framings are one planted need."""
    return "supply_chain_visibility" if theme.startswith("supply_") else theme


class Writer:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def pick(self, weights: dict[str, int]) -> str:
        keys = sorted(weights)
        return self.rng.choices(keys, weights=[weights[k] for k in keys])[0]

    def text(self, theme: str, lang: str, request: bool = False) -> str:
        r = self.rng
        if theme == "noise":
            return r.choice(NOISE[lang])
        core = r.choice(CORES[theme][lang])
        if lang == "en":
            s = (r.choice(REQUESTS["en"]) if request else r.choice(OPENERS["en"])) + core
            if r.random() < 0.5:
                s += ", " + r.choice(DETAILS[theme]["en"])
            s = s[0].upper() + s[1:] + r.choice([".", ".", "!", "", "..."])
            return self.typo(s) if r.random() < 0.08 else s
        s = (r.choice(REQUESTS["zh"]) if request else r.choice(OPENERS["zh"])) + core
        if r.random() < 0.5:
            s += "，" + r.choice(DETAILS[theme]["zh"])
        return s + r.choice(["。", "！", "", "。。"])

    def typo(self, s: str) -> str:
        i = self.rng.randrange(1, max(2, len(s) - 2))
        return s[:i] + s[i + 1] + s[i] + s[i + 2:] if s[i].isalpha() and s[i + 1].isalpha() else s

    def date(self, start: datetime, end: datetime) -> datetime:
        return start + timedelta(seconds=self.rng.randrange(int((end - start).total_seconds())))

    def ident(self, prefix: str, n: int) -> str:
        return prefix + "".join(self.rng.choices(string.ascii_letters + string.digits, k=n))


def persona_plan(w: Writer, n: int) -> list[str]:
    names = sorted(PERSONAS)
    shares = {"enterprise_manufacturer": 0.3, "small_ecommerce": 0.37, "midmarket_software": 0.33}
    return w.rng.choices(names, weights=[shares[k] for k in names], k=n)


def qualtrics_survey(w: Writer, out: Path, truth: Path) -> None:
    ids = ["StartDate", "EndDate", "Status", "ResponseId", "RecordedDate", "company_size", "industry", "plan", "nps", "Q5", "Q6", "Q7"]
    labels = ["Start Date", "End Date", "Response Type", "Response ID", "Recorded Date", "Company size", "Industry", "Plan",
              "How likely are you to recommend us to a friend or colleague?",
              "What is the biggest problem you face with our product?",
              "If you could add one thing, what would it be?", "Anything else you'd like to tell us?"]
    imports = ['{"ImportId":"startDate","timeZone":"America/Denver"}', '{"ImportId":"endDate","timeZone":"America/Denver"}',
               '{"ImportId":"status"}', '{"ImportId":"_recordId"}', '{"ImportId":"recordedDate","timeZone":"America/Denver"}',
               '{"ImportId":"QID2"}', '{"ImportId":"QID3"}', '{"ImportId":"QID4"}', '{"ImportId":"QID1"}',
               '{"ImportId":"QID5_TEXT"}', '{"ImportId":"QID6_TEXT"}', '{"ImportId":"QID7_TEXT"}']
    rows, truth_rows = [], []
    for persona in persona_plan(w, 300):
        p = PERSONAS[persona]
        lang = "zh" if w.rng.random() < 0.1 else "en"
        rid = w.ident("R_", 15)
        when = w.date(datetime(2026, 1, 5), datetime(2026, 10, 30))
        answers, themes = {}, {}
        t5 = w.pick(p["survey"])
        answers["Q5"], themes["Q5"] = w.text(t5, lang), t5
        if w.rng.random() < 0.65:
            t6 = t5 if w.rng.random() < 0.4 else w.pick(p["survey"])
            answers["Q6"], themes["Q6"] = w.text(t6, lang, request=True), t6
        elif w.rng.random() < 0.3:
            answers["Q6"], themes["Q6"] = w.rng.choice(NON_ANSWERS[lang]), "non_answer"
        if w.rng.random() < 0.35:
            t7 = "noise" if w.rng.random() < 0.6 else w.pick(p["survey"])
            answers["Q7"], themes["Q7"] = w.text(t7, lang), t7
        nps = max(0, min(10, p["nps"] + NPS_PENALTY.get(t5, 0) + w.rng.randint(-2, 2)))
        size, industry, plan = w.rng.choice(p["size"]), w.rng.choice(p["industry"]), w.rng.choice(p["plan"])
        rows.append([f"{when - timedelta(minutes=7):%Y-%m-%d %H:%M:%S}", f"{when:%Y-%m-%d %H:%M:%S}", "IP Address", rid,
                     f"{when:%Y-%m-%d %H:%M:%S}", size, industry, plan, nps,
                     answers.get("Q5", ""), answers.get("Q6", ""), answers.get("Q7", "")])
        for col in ("Q5", "Q6", "Q7"):
            truth_rows.append([rid, col, theme_key(themes.get(col, "empty")), persona, themes.get(col, "")])
    # Real-world mess the reader must handle (documented in README.md).
    rows[3][9] = "Battery 🔋 dies by lunch 😡 every single day"
    truth_rows[9] = [rows[3][3], "Q5", "battery", truth_rows[9][3], "battery"]
    rows[5][9] = "<p>The <b>sheet permissions</b> screen is confusing &amp; too coarse</p>"
    truth_rows[15] = [rows[5][3], "Q5", "permissions", truth_rows[15][3], "permissions"]
    rows[8][11] = '=HYPERLINK("http://example.com/screenshot","click here") to see my screenshot'
    truth_rows[26] = [rows[8][3], "Q7", "noise", truth_rows[26][3], "noise"]
    rows.extend([list(rows[10]), list(rows[20])])  # exact duplicate rows, as merged exports produce
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerows([ids, labels, imports, *rows])
    _truth(truth, ["ResponseId", "column", "theme", "persona", "framing"], truth_rows)


def surveymonkey_zh(w: Writer, out: Path, truth: Path) -> None:
    row1 = ["受访者ID", "提交时间", "公司规模", "行业", "套餐", "您在使用中遇到的最大问题是什么？", "您最希望我们改进或增加什么？", "您使用哪些模块？", "", ""]
    row2 = ["", "", "", "", "", "回答", "回答", "表格", "供应链看板", "语音笔记"]
    rows, truth_rows = [], []
    for i, persona in enumerate(persona_plan(w, 150)):
        p = PERSONAS[persona]
        rid = str(110_245_000 + i * 37)
        t1 = w.pick(p["survey"])
        a1 = w.text(t1, "zh")
        t2, a2 = "empty", ""
        r = w.rng.random()
        if r < 0.6:
            t2 = t1 if w.rng.random() < 0.4 else w.pick(p["survey"])
            a2 = w.text(t2, "zh", request=True)
        elif r < 0.75:
            t2, a2 = "non_answer", w.rng.choice(NON_ANSWERS["zh"])
        modules = [m if w.rng.random() < 0.5 else "" for m in ("表格", "供应链看板", "语音笔记")]
        when = w.date(datetime(2026, 2, 1), datetime(2026, 10, 30))
        rows.append([rid, f"{when:%Y/%m/%d %H:%M}", w.rng.choice(p["size"]), ZH_INDUSTRY[w.rng.choice(p["industry"])],
                     ZH_PLAN[w.rng.choice(p["plan"])], a1, a2, *modules])
        truth_rows += [[rid, row1[5], theme_key(t1), persona, t1], [rid, row1[6], theme_key(t2), persona, t2]]
    with out.open("w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows([row1, row2, *rows])
    _truth(truth, ["受访者ID", "column", "theme", "persona", "framing"], truth_rows)


REVIEW_TITLES = {
    "battery": (["Battery", "Drains fast", "Dies by noon", "Battery!!"], ["电池", "续航差", "耗电快"]),
    "camera": (["Camera", "Blurry at night", "Low light"], ["拍照", "夜拍糊"]),
    "dialect": (["Voice input", "No dialects"], ["方言", "语音识别"]),
    "onboarding": (["Confusing", "Hard to start"], ["难上手"]),
    "pricing": (["Pricey", "Too expensive"], ["太贵"]),
    "support": (["Support", "No reply"], ["客服"]),
    "permissions": (["Sharing", "Permissions"], ["权限"]),
    "noise": (["Great", "Nice", "Good app", "Love it"], ["好评", "不错"]),
}


def app_reviews(w: Writer, out: Path, truth: Path) -> None:
    before = {"battery": 8, "camera": 15, "dialect": 8, "onboarding": 10, "pricing": 10, "support": 10, "permissions": 5, "noise": 34}
    after = dict(before, battery=40)
    header = ["review_id", "date", "rating", "title", "body", "app_version", "locale", "author"]
    rows, truth_rows = [], []
    dates = sorted(w.date(datetime(2025, 12, 1), datetime(2026, 11, 15)) for _ in range(400))
    for i, when in enumerate(dates):
        theme = w.pick(after if when >= LAUNCH else before)
        lang = "zh" if w.rng.random() < 0.35 else "en"
        version = "3.2." + str(w.rng.randint(0, 3)) if when >= LAUNCH else ("3.1." if when >= datetime(2026, 3, 1) else "3.0.") + str(w.rng.randint(0, 4))
        titles = REVIEW_TITLES[theme][0 if lang == "en" else 1]
        title = w.rng.choice(titles) if w.rng.random() < 0.7 else ""
        lo, hi = RATING[theme]
        rid = f"gp:{w.ident('', 10)}"
        rows.append([rid, f"{when:%Y-%m-%d}", w.rng.randint(lo, hi), title, w.text(theme, lang), version,
                     "en_US" if lang == "en" else "zh_CN", f"user_{w.rng.randint(10000, 99999)}"])
        truth_rows.append([rid, theme_key(theme), theme])
    with out.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    _truth(truth, ["review_id", "theme", "framing"], truth_rows)


ACCOUNT_WORDS = {
    "enterprise_manufacturer": (["Harbor", "Ironline", "Delta", "Northgate", "Summit", "Pacific", "华东", "粤海"],
                                ["Steel Works", "Precision Parts", "Heavy Industries", "Logistics Group", "Motors", "制造集团", "机械"]),
    "small_ecommerce": (["Pine & Pixel", "Little Fox", "Corner", "Maple", "小鹿", "喵喵"], ["Shop", "Goods", "Boutique", "Store", "小店", "网店"]),
    "midmarket_software": (["Bright", "Cloudway", "Nimbus", "Quanta", "云帆"], ["Labs", "Software", "Learning", "Systems", "科技"]),
}
SALES_LEAD = {"en": ["Call with ops lead: ", "Demo feedback - ", "Prospect says ", "QBR note: ", "Champion mentioned "],
              "zh": ["客户反馈：", "演示后客户说", "拜访记录：", "采购负责人表示"]}


def crm_notes(w: Writer, out: Path, truth: Path) -> None:
    import openpyxl

    accounts = []
    for persona in persona_plan(w, 70):
        first, second = ACCOUNT_WORDS[persona]
        accounts.append((f"ACC-{len(accounts) + 1001}", f"{w.rng.choice(first)} {w.rng.choice(second)}", persona))
    header = ["note_id", "account_id", "account_name", "company_size", "industry", "deal_amount", "stage", "date", "note"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "notes"
    ws.append(header)
    truth_rows = []
    for i in range(150):
        acc_id, acc_name, persona = accounts[i % len(accounts)] if i < len(accounts) else w.rng.choice(accounts)
        p = PERSONAS[persona]
        theme = w.pick(p["crm"])
        lang = "zh" if w.rng.random() < 0.3 else "en"
        text = w.rng.choice(SALES_LEAD[lang]) + w.text(theme, lang)
        outcome = ("lost" if w.rng.random() < 0.7 else "open") if theme == "dialect" else w.rng.choice(["won", "won", "lost", "open", "open"])
        stage = {"en": {"won": "Closed Won", "lost": "Closed Lost", "open": "Negotiation"},
                 "zh": {"won": "赢单", "lost": "丢单", "open": "跟进中"}}[lang][outcome]
        amount: object = round(w.rng.uniform(*p["deal"]), -2)
        if i % 31 == 5:
            amount = f"${amount:,.0f}"
        elif i % 37 == 7:
            amount = f"{amount / 10_000:.1f}万"
        when = w.date(datetime(2026, 1, 10), datetime(2026, 11, 10))
        note_id = f"N-{i + 1:04d}"
        ws.append([note_id, acc_id, acc_name, w.rng.choice(p["size"]), w.rng.choice(p["industry"]), amount, stage, when.date(), text])
        truth_rows.append([note_id, theme_key(theme), persona, theme, outcome])
    wb.properties.creator = "feedbackiq make_samples.py"
    wb.properties.created = wb.properties.modified = datetime(2026, 11, 1)
    wb.save(out)
    _truth(truth, ["note_id", "theme", "persona", "framing", "outcome"], truth_rows)


def _truth(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "samples")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    (args.out / "truth").mkdir(parents=True, exist_ok=True)
    # One Writer per file so that changing one file's generator leaves the others unchanged.
    qualtrics_survey(Writer(args.seed), args.out / "survey_export.csv", args.out / "truth" / "survey_export.csv")
    surveymonkey_zh(Writer(args.seed + 1), args.out / "survey_export_zh.csv", args.out / "truth" / "survey_export_zh.csv")
    app_reviews(Writer(args.seed + 2), args.out / "app_reviews.csv", args.out / "truth" / "app_reviews.csv")
    crm_notes(Writer(args.seed + 3), args.out / "crm_notes.xlsx", args.out / "truth" / "crm_notes.csv")
    (args.out / "truth" / "meta.json").write_text(json.dumps({"seed": args.seed, "launch_3_2": LAUNCH.date().isoformat()}, indent=1))
    print(f"wrote samples to {args.out}")


if __name__ == "__main__":
    main()
