"""Make tests/data/pii_cases.jsonl: labelled PII cases in English and Chinese, with hard negatives.

    python evals/make_pii_cases.py     # seeded; rewrites the file

Generated values are realistic and valid where real ones carry checksums (Luhn
cards, MOD 11-2 Chinese ids, mod-97 IBANs), embedded in feedback-like sentences.
A hand-written block of tricky cases is appended. Each case has a "split"
(dev/test, assigned at random) so numbers can be reported on cases not looked at
while writing the patterns.
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "pii_cases.jsonl"
rng = random.Random(11)

EN = ["Please contact me at {x} about the battery issue.", "My number is {x}, call me after 6pm.",
      "You can reach our IT lead on {x} if the export fails again.", "{x} is where the invoice should go.",
      "The sync fails from {x} every night", "Refund to {x} please, the camera is broken.",
      "I wrote to support from {x} twice and nobody answered", "Ask {x} for the permission logs"]
ZH = ["我的联系方式是{x}，电池问题请尽快处理", "请打{x}找我，客服一直不回", "退款请退到{x}", "{x}是我们的IT负责人",
      "我用{x}登录的时候闪退", "麻烦联系{x}确认权限问题", "发票寄到{x}就行", "如有问题请联系{x}谢谢"]
NEG = ["Version {v} drains the battery since {d}.", "Order {o} arrived late, cost ¥{p}.", "App {v} crashed at {t} on {d}.",
       "订单{o}还没到，花了{p}元", "{d}更新到{v}以后耗电快了{pct}", "Ticket #{o} still open after {n} days",
       "We have {n} seats on the Pro plan at ${p} per month", "下午{t}开会讨论{v}版本", "Rated {n}/10, battery 3000mAh, 5G",
       "Our SKU {sku} sold {n} units in Q{q}", "快递单号{o}，请查一下", "Serial {sku}-{n} overheats at 45°C",
       "Build {v} ({o}) fixed the crash", "Call at {t}, room 1203, floor {n}"]


def luhn_complete(r: random.Random, prefix: str, length: int) -> str:
    digits = prefix + "".join(r.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for check in string.digits:
        cand = digits + check
        total, parity = 0, len(cand) % 2
        for i, ch in enumerate(cand):
            d = int(ch)
            if i % 2 == parity:
                d = d * 2 - 9 if d * 2 > 9 else d * 2
            total += d
        if total % 10 == 0:
            return cand
    raise AssertionError


def card(r: random.Random) -> str:
    num = luhn_complete(r, r.choice(["4", "51", "55", "37", "62"]), 15 if r.random() < 0.2 else 16)
    sep = r.choice(["", " ", "-"])
    return sep.join(num[i : i + 4] for i in range(0, len(num), 4))


def cn_id(r: random.Random) -> str:
    region = r.choice(["110105", "310104", "440305", "510107", "330106", "420111"])
    born = f"{r.randint(1950, 2005)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}"
    body = region + born + f"{r.randint(0, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]


def iban(r: random.Random) -> str:
    country, bban = r.choice([("GB", "WEST" + "".join(r.choices(string.digits, k=14))),
                                ("DE", "".join(r.choices(string.digits, k=18))),
                                ("FR", "".join(r.choices(string.digits, k=23)))])
    num = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    s = f"{country}{98 - num % 97:02d}{bban}"
    return " ".join(s[i : i + 4] for i in range(0, len(s), 4)) if r.random() < 0.5 else s


def phone(r: random.Random) -> str:
    m = "1" + r.choice("3456789") + "".join(r.choices(string.digits, k=9))
    return r.choice([m, f"+86 {m[:3]} {m[3:7]} {m[7:]}", f"{m[:3]}-{m[3:7]}-{m[7:]}", f"+86{m}",
                       f"0{r.choice(['10', '21', '755', '571'])}-{r.randint(2000000, 89999999)}",
                       f"({r.randint(201, 989)}) {r.randint(200, 999)}-{r.randint(1000, 9999)}",
                       f"{r.randint(201, 989)}-{r.randint(200, 999)}-{r.randint(1000, 9999)}",
                       f"+44 20 {r.randint(7000, 7999)} {r.randint(1000, 9999)}",
                       f"+1 {r.randint(201, 989)} {r.randint(200, 999)} {r.randint(1000, 9999)}"])


def email(r: random.Random) -> str:
    user = r.choice(["li.wei", "zhang_san", "j.smith", "ops-team", "wangfang88", "anna.k", "buyer+test"])
    return f"{user}{r.randint(1, 99)}@{r.choice(['example.com', 'qq.com', '163.com', 'corp.example.cn', 'mail.co.uk'])}"


def ip(r: random.Random) -> str:
    if r.random() < 0.7:
        return ".".join(str(r.randint(1, 254)) for _ in range(4))
    return ":".join(f"{r.randint(0, 65535):x}" for _ in range(8))


def url(r: random.Random) -> str:
    secret = "".join(r.choices(string.ascii_letters + string.digits, k=r.randint(16, 40)))
    return r.choice([f"https://app.example.com/reset?token={secret}", f"https://files.example.cn/s/{secret}{secret}",
                       f"http://portal.example.com/login?user=ops&password={secret[:10]}",
                       f"https://api.example.com/v1/export?api_key={secret}&format=csv"])


def handle(r: random.Random) -> str:
    return "@" + r.choice(["zhang_san", "DataOpsLead", "小王同学", "battery_fan", "li_ming2026", "OpsTeamCN"])


GEN = {"EMAIL": email, "PHONE": phone, "CN_ID": cn_id, "CARD": card, "IBAN": iban, "IP": ip, "URL": url, "HANDLE": handle}


def negative(r: random.Random) -> str:
    tpl = r.choice(NEG)
    return tpl.format(v=f"{r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 9)}",
                      d=r.choice(["2026-03-05", "2026/3/5", "5 March 2026", "2026年3月5日"]),
                      o=f"{r.randint(10 ** 7, 10 ** 11)}", p=f"{r.randint(9, 9999):,}", t=f"{r.randint(0, 23)}:{r.randint(0, 59):02d}",
                      pct=f"{r.randint(1, 99)}%", n=r.randint(2, 500), sku=f"SKU-{r.randint(1000, 99999)}", q=r.randint(1, 4))


def case(r: random.Random, gens: dict, negatives) -> dict:
    """One case: a hard negative, or one or two values of the kinds in ``gens`` in feedback-like sentences.

    A generator returns a value, or (value, variant, templates) when the kind has shapes worth counting
    apart or needs a sentence that names it ("passport ...", "api key ...").
    """
    if r.random() < 0.25:
        return {"text": negatives(r), "spans": []}
    kinds = r.sample(sorted(gens), k=1 if r.random() < 0.8 else 2)
    text, spans = "", []
    for kind in kinds:
        out = gens[kind](r)
        value, variant, templates = out if isinstance(out, tuple) else (out, None, None)
        kind = kind.split(":")[0]  # "PHONE:us" and "PHONE:uk" are drawn as often as a whole kind
        tpl = r.choice(templates) if templates else r.choice(ZH if r.random() < 0.5 else EN)
        left = tpl.split("{x}")[0]
        start = len(text) + len(left)
        text += tpl.replace("{x}", value) + " "
        spans.append({"kind": kind, "start": start, "end": start + len(value)} | ({"variant": variant} if variant else {}))
    return {"text": text.strip(), "spans": spans}


HAND = [
    ("我的手机号13812345678请回电", [("PHONE", "13812345678")]),
    ("邮箱li.wei@example.com，手机138-1234-5678", [("EMAIL", "li.wei@example.com"), ("PHONE", "138-1234-5678")]),
    ("身份证号11010519491231002X，帮我查一下订单", [("CN_ID", "11010519491231002X")]),
    ("App 3.2.1 crashed on 2026-03-05 at 10:30", []),
    ("订单号20260305123456，金额¥1,299", []),
    ("Battery went from 100% to 20% in 3 hours", []),
    ("Contact ops@example.com (not @ops, that's Slack)", [("EMAIL", "ops@example.com"), ("HANDLE", "@ops")]),
    ("Reset link: https://app.example.com/reset?token=8f3kd92jdk2lsl2k3j4k", [("URL", "https://app.example.com/reset?token=8f3kd92jdk2lsl2k3j4k")]),
    ("Docs at https://example.com/help/battery are outdated", []),
    ("Server 10.0.0.12 is down again", [("IP", "10.0.0.12")]),
    ("IPv6 2001:db8:85a3::8a2e:370:7334 fails", [("IP", "2001:db8:85a3::8a2e:370:7334")]),
    ("Card 4111 1111 1111 1111 was charged twice", [("CARD", "4111 1111 1111 1111")]),
    ("Pay to DE89 3704 0044 0532 0130 00 please", [("IBAN", "DE89 3704 0044 0532 0130 00")]),
    ("Call me: +44 20 7946 0958", [("PHONE", "+44 20 7946 0958")]),
    ("座机0755-12345678，周一到周五", [("PHONE", "0755-12345678")]),
    ("微博@小王同学 说电池不行", [("HANDLE", "@小王同学")]),
    ("We paid $12,000 for 25 seats in Q3 2026", []),
    ("Model X200, 5000mAh, 120Hz, 8GB+256GB", []),
    ("下午3:30开会，会议室1203", []),
    ("评分4.5分，版本v3.2.0-beta.1", []),
]


def hand_cases(rows: list) -> list[dict]:
    out = []
    for text, spans in rows:
        found = []
        for kind, value in spans:
            start = text.index(value)
            found.append({"kind": kind, "start": start, "end": start + len(value)})
        out.append({"text": text, "spans": found, "hand": True})
    return out


# Kinds and shapes added later: US and UK phones, SSNs, passports, keys and tokens, credentials in URLs,
# apostrophes and tags in emails, Chinese ids with letters before them or a mistyped check digit. They
# draw from their own seed, so the first 500 cases stay byte-identical and comparable with earlier numbers.
rng2 = random.Random(15)
B62 = string.ascii_letters + string.digits
KEY_CTX = ["Our API key {x} stopped working after the update", "api_key = {x} fails on the export endpoint",
           "token: {x} expired?", "The secret is {x}, can you check the logs", "webhook secret {x} does not verify",
           "I pasted my access token {x} in the chat by mistake", "set API_KEY={x} and it still says unauthorized",
           "我们的API密钥{x}更新后失效了", "令牌：{x} 过期了吗", "token是{x}，帮忙看下日志", "密钥{x}被误贴到群里了"]
BEARER = ["Authorization: Bearer {x} returns 401 since the update", "curl -H 'Authorization: Bearer {x}' gives 403",
          "请求头Bearer {x}一直报401", "Bearer {x} works in Postman but not in the app"]
PASSWORD = ["password: {x} is shown in plain text on the profile page", "密码：{x}，登录一直失败", "pwd={x} in the config export",
            "login admin / password: {x} does not work"]
PASSPORT = ["Check-in rejected passport {x} twice.", "My passport number is {x} and the booking still fails",
            "Passport No. {x} does not match the ticket", "The form says passport {x} is invalid",
            "Updated my passport ({x}) but the app shows the old one", "passport: {x}, please fix the visa letter",
            "护照号{x}一直提示无效", "我的护照号码是{x}，值机失败", "护照：{x}，麻烦核对签证信息", "用护照{x}实名认证不通过"]
SSN_CTX = ["My SSN is {x}, please remove it from the account", "SSN: {x} was shown on the invoice page",
           "social security number {x} appears in the export", "Why does the form ask for my SSN ({x})?",
           "我的SSN是{x}，请从账户里删掉", "社会安全号码{x}出现在导出文件里"]
CN_ID_LETTERS = ["身份证号ID{x}，帮我查一下", "idno{x}", "证件号码:ID{x}", "我的IDcard{x}登录不了", "ID{x}实名认证失败",
                 "Verification failed for ID#{x}", "身份证No{x}审核没过"]
NEG2 = ["Order {us} arrived late, cost ${p}.", "订单{us}还没发货", "Ticket #{cn} still open after {n} days", "快递单号{cn}，请查一下",
        "Invoice {us} was charged twice", "Reference {bad_ssn} on the invoice is wrong", "参考号{bad_ssn}不对",
        "Error {pp} at checkout since {v}", "优惠码{pp}用不了", "Model {pp} overheats at 45°C",
        "passport photo upload failed {n} times", "护照照片上传失败{n}次", "Passport renewal took {n} days in app {v}",
        "护照{q}月到期，签证页面闪退", "SK-II essence sold out, ordered {n} bottles", "key features: {n}mAh battery, 120Hz",
        "token limit is {big} per request", "the API key page took {n} s to load", "密钥管理页面打不开，版本{v}",
        "Bearer auth broken since {v}", "token expired after {n} minutes", "secret menu item #{n} is gone",
        "manual at ftp://files.example.com/pub/manual-{v}.pdf", "docs at https://docs.example.com/{v}/api-keys are outdated",
        "订单号{date18}，金额¥{p}", "淘宝订单{o19}还没退款", "交易流水号{date18}", "We have {thousands} users on {d}",
        "{d} at {t}, {pct} off, ${p}", "Flight CA{n4} delayed {q} hours", "error 0x{hex8} on sync", "commit {hex7} broke the export",
        "zip {zip} delivery failed", "Version {v} (build {build}) crashes", "{n}x{n} px, {q} GB, {p} RMB", "{t}-{t} 客服电话打不通"]


def digits(r: random.Random, k: int) -> str:
    return "".join(r.choices(string.digits, k=k))


def nanp(r: random.Random) -> tuple[str, str, str]:
    """Area code, exchange and line of a North American number (area and exchange start 2-9, never N11)."""
    def nxx() -> str:
        v = f"{r.randint(2, 9)}{r.randint(0, 8)}{r.randint(0, 9)}"
        return nxx() if v[1:] == "11" else v
    return nxx(), nxx(), digits(r, 4)


def us_phone(r: random.Random) -> tuple:
    a, e, n = nanp(r)
    variant = r.choice(["us_spaced", "us_bare", "us_other"])
    shapes = {"us_spaced": [f"{a} {e} {n}", f"1 {a} {e} {n}"], "us_bare": [f"{a}{e}{n}"],
              "us_other": [f"+1 {a} {e} {n}", f"1-{a}-{e}-{n}", f"+1-{a}-{e}-{n}", f"1 ({a}) {e}-{n}", f"{a}.{e}.{n}", f"+1{a}{e}{n}"]}
    return r.choice(shapes[variant]), variant, None


def uk_phone(r: random.Random) -> tuple:
    if r.random() < 0.5:
        m, rest = "7" + r.choice("1234579") + digits(r, 2), digits(r, 6)
        return r.choice([f"0{m} {rest}", f"0{m}{rest}", f"+44 {m} {rest}", f"+44 (0){m} {rest}", f"+44{m}{rest}"]), "uk_mobile", None
    area, size = r.choice([("20", 8), ("29", 8), ("113", 7), ("121", 7), ("161", 7), ("1632", 6), ("1865", 6)])
    sub = str(r.randint(2, 9)) + digits(r, size - 1)
    sub = f"{sub[:4]} {sub[4:]}" if size == 8 else f"{sub[:3]} {sub[3:]}" if size == 7 else sub
    return r.choice([f"0{area} {sub}", f"(0{area}) {sub}", f"+44 {area} {sub}", f"0{area}{sub.replace(' ', '')}"]), "uk_landline", None


def valid_ssn(r: random.Random) -> str:
    area = r.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}{r.randint(1, 99):02d}{r.randint(1, 9999):04d}"


def ssn(r: random.Random) -> tuple:
    s = valid_ssn(r)
    shape = r.choice(["dashed", "dashed", "spaced", "bare"])
    if shape == "bare":
        return s, "bare_named", SSN_CTX
    value = f"{s[:3]}-{s[3:5]}-{s[5:]}" if shape == "dashed" else f"{s[:3]} {s[3:5]} {s[5:]}"
    return value, shape, SSN_CTX if r.random() < 0.4 else None


def passport(r: random.Random) -> tuple:
    letter = r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ")
    value, variant = r.choice([("E" + digits(r, 8), "cn"), ("E" + letter + digits(r, 7), "cn"), ("G" + digits(r, 8), "cn"),
                               (str(r.randint(1, 9)) + digits(r, 8), "us_uk"), (letter + digits(r, 8), "us_uk"),
                               (letter + digits(r, 7), "other"), (letter + letter + digits(r, 7), "other")])
    return value, variant, PASSPORT


def cn_id_more(r: random.Random) -> tuple:
    good = cn_id(r)
    shape = r.choice(["letters_before", "bad_checksum", "spaced"])
    if shape == "letters_before":
        return good, shape, CN_ID_LETTERS
    if shape == "spaced":
        return f"{good[:6]} {good[6:14]} {good[14:]}", shape, None
    return good[:17] + r.choice([c for c in "0123456789X" if c != good[17]]), shape, None


def secret(r: random.Random) -> tuple:
    shape = r.choice(["prefixed", "prefixed", "prefixed", "bearer", "keyword", "password"])
    if shape == "bearer":
        jwt = ".".join("eyJ" + "".join(r.choices(B62 + "_-", k=r.randint(10, 40))) for _ in range(3))
        return r.choice([jwt, "".join(r.choices(B62, k=r.randint(24, 64))), digits(r, 4) + "".join(r.choices("0123456789abcdef", k=28))]), shape, BEARER
    if shape == "keyword":
        hexed = "".join(r.choices("0123456789abcdef", k=32))
        uuid = f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"
        return r.choice(["".join(r.choices(B62, k=r.randint(20, 40))), hexed, uuid,
                         "".join(r.choices(B62 + "/+", k=39)) + "="]), shape, KEY_CTX
    if shape == "password":
        word = r.choice(["hunter", "Summer", "letmein", "dragon", "qwerty", "Passw0rd", "zhangsan", "iloveyou"])
        return word + r.choice([digits(r, r.randint(1, 4)), "!", "#" + digits(r, 2), "_" + digits(r, 3)]), shape, PASSWORD
    value = r.choice(["sk-" + "".join(r.choices(B62, k=48)), "sk-proj-" + "".join(r.choices(B62 + "_-", k=r.randint(40, 120))),
                      "ghp_" + "".join(r.choices(B62, k=36)), "github_pat_" + "".join(r.choices(B62 + "_", k=82)),
                      f"xoxb-{digits(r, 12)}-{digits(r, 13)}-" + "".join(r.choices(B62, k=24)),
                      "AKIA" + "".join(r.choices(string.ascii_uppercase + "234567", k=16)),
                      "sk_live_" + "".join(r.choices(B62, k=24)), "AIza" + "".join(r.choices(B62 + "_-", k=35))])
    return value, shape, KEY_CTX if r.random() < 0.3 else None


def email_more(r: random.Random) -> tuple:
    if r.random() < 0.5:
        user, variant = r.choice(["o'brien", "O'Neill", "d'angelo", "mary.o'connor", "o\u2019brien", "jean-luc.d'arc"]), "apostrophe"
    else:
        user, variant = r.choice(["anna+billing", "buyer+test", "ops+alerts", "li.wei+jd", "j.smith+2026", "_ops+cn"]), "plus"
    return f"{user}@{r.choice(['example.com', 'example.co.uk', 'qq.com', 'example.ie', 'corp.example.cn'])}", variant, None


def url_userinfo(r: random.Random) -> tuple:
    user = r.choice(["admin", "ops", "li.wei", "deploy", "anna", "backup"])
    pw = "".join(r.choices(B62 + "!$*-_.", k=r.randint(6, 16)))
    return r.choice([f"https://{user}:{pw}@portal.example.com/login", f"http://{user}:{pw}@192.168.1.{r.randint(2, 254)}:8080/",
                     f"ftp://{user}:{pw}@files.example.com/pub/report.csv", f"sftp://{user}:{pw}@upload.example.cn/in",
                     f"postgres://{user}:{pw}@db.example.com:5432/prod", f"https://{user}@intranet.example.com/wiki"]), "userinfo", None


GEN2 = {"PHONE:us": us_phone, "PHONE:uk": uk_phone, "SSN": ssn, "PASSPORT": passport,
        "CN_ID": cn_id_more, "SECRET": secret, "EMAIL": email_more, "URL": url_userinfo}


def negative2(r: random.Random) -> str:
    """Numbers and words shaped like the added kinds that are not personal data."""
    if r.random() < 0.2:
        return negative(r)
    a, e, n = nanp(r)
    bad = r.choice([f"000-{digits(r, 2)}-{digits(r, 4)}", f"666-{digits(r, 2)}-{digits(r, 4)}", f"9{digits(r, 2)}-{digits(r, 2)}-{digits(r, 4)}",
                    f"{r.randint(1, 899):03d}-00-{digits(r, 4)}", f"{r.randint(1, 899):03d}-{r.randint(1, 99):02d}-0000"])
    return r.choice(NEG2).format(
        us=a + e + n, cn="1" + r.choice("3456789") + digits(r, 9), bad_ssn=bad, pp=r.choice("EGA") + digits(r, 8),
        p=f"{r.randint(9, 99999):,}", n=r.randint(2, 500), q=r.randint(1, 12), v=f"{r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 9)}",
        big=r.choice(["4096", "128000", "200,000", "1M"]), date18=f"2026{r.randint(1, 12):02d}{r.randint(1, 28):02d}" + digits(r, 10),
        o19=str(r.randint(1, 4)) + digits(r, 18), thousands=f"{r.randint(1, 9)} {r.randint(100, 999)} {r.randint(100, 999)}", d=r.choice(["2026-03-05", "03/05/2026", "2026.03.05", "5 March 2026"]),
        t=f"{r.randint(0, 23)}:{r.randint(0, 59):02d}", pct=f"{r.randint(1, 99)}%", n4=digits(r, 4), hex8=digits(r, 3) + "7000E",
        hex7="".join(r.choices("0123456789abcdef", k=7)), zip=digits(r, 5), build=f"2026{r.randint(1, 12):02d}{r.randint(1, 28):02d}.{digits(r, 3)}")


_SK = "sk-" + "T3BlbkFJ" * 6
HAND2 = [
    ("Call me on 415 555 2671 or 4155552671", [("PHONE", "415 555 2671"), ("PHONE", "4155552671")]),
    ("US office +1 415 555 2671, fax 1-415-555-2671", [("PHONE", "+1 415 555 2671"), ("PHONE", "1-415-555-2671")]),
    ("UK: 07700 900123 or 020 7946 0958", [("PHONE", "07700 900123"), ("PHONE", "020 7946 0958")]),
    ("英国手机+44 7700 900123，座机(020) 7946 0958", [("PHONE", "+44 7700 900123"), ("PHONE", "(020) 7946 0958")]),
    ("SSN 123-45-6789 on the tax form", [("SSN", "123-45-6789")]),
    ("身份证号ID440305197004172953，帮我查", [("CN_ID", "440305197004172953")]),
    ("idno440305197004172953", [("CN_ID", "440305197004172953")]),
    ("身份证440305197004172954（最后一位打错了）", [("CN_ID", "440305197004172954")]),
    ("passport E12345678 was rejected", [("PASSPORT", "E12345678")]),
    ("护照G12345678过期了", [("PASSPORT", "G12345678")]),
    ("Passport no. 123456789 (US), UK passport number 925076473", [("PASSPORT", "123456789"), ("PASSPORT", "925076473")]),
    (f"our key {_SK} stopped working", [("SECRET", _SK)]),
    ("OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t_Uv1wXy4 fails", [("SECRET", "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t_Uv1wXy4")]),
    ("pushed ghp_16C7e42F292c6912E7710c838347Ae178B4a by mistake", [("SECRET", "ghp_16C7e42F292c6912E7710c838347Ae178B4a")]),
    ("slack xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy", [("SECRET", "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy")]),
    ("AWS AKIAIOSFODNN7EXAMPLE / secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     [("SECRET", "AKIAIOSFODNN7EXAMPLE"), ("SECRET", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")]),
    ("Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543", [("SECRET", "8f14e45fceea167a5a36dedd4bea2543")]),
    ("mail o'brien@example.com or anna+billing@example.co.uk", [("EMAIL", "o'brien@example.com"), ("EMAIL", "anna+billing@example.co.uk")]),
    ("sync from https://user:pass@host.example.com/x fails", [("URL", "https://user:pass@host.example.com/x")]),
    ("镜像ftp://user:pass@files.example.com/pub打不开", [("URL", "ftp://user:pass@files.example.com/pub")]),
    ("App 3.2.1 crashed; order 4155552671 refunded ¥1,299", []),
    ("We paid $12,000 for 25 seats, 10:30 on 2026-03-05", []),
    ("SSN 000-12-3456 is not a valid number", []),
    ("SK-II cream; key features: 5000mAh, token limit 128000", []),
    ("the passport photo upload failed 3 times", []),
    ("manual at ftp://files.example.com/pub/manual.pdf", []),
    ("Error E12345678 at checkout", []),
    ("订单号202603051234567895，淘宝订单4012345678901234565", []),
]


def main() -> None:
    cases = [case(rng, GEN, negative) for _ in range(480)] + hand_cases(HAND)
    for c in cases:
        c["split"] = "test" if rng.random() < 0.5 else "dev"
    more = [case(rng2, GEN2, negative2) for _ in range(1100)] + hand_cases(HAND2)
    for c in more:
        c["split"] = "test" if rng2.random() < 0.5 else "dev"
    cases += more
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases ({sum(len(c['spans']) for c in cases)} PII spans) to {OUT}")


if __name__ == "__main__":
    main()
