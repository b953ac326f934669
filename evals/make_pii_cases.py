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


def luhn_complete(prefix: str, length: int) -> str:
    digits = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
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


def card() -> str:
    num = luhn_complete(rng.choice(["4", "51", "55", "37", "62"]), 15 if rng.random() < 0.2 else 16)
    sep = rng.choice(["", " ", "-"])
    return sep.join(num[i : i + 4] for i in range(0, len(num), 4))


def cn_id() -> str:
    region = rng.choice(["110105", "310104", "440305", "510107", "330106", "420111"])
    born = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = region + born + f"{rng.randint(0, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]


def iban() -> str:
    country, bban = rng.choice([("GB", "WEST" + "".join(rng.choices(string.digits, k=14))),
                                ("DE", "".join(rng.choices(string.digits, k=18))),
                                ("FR", "".join(rng.choices(string.digits, k=23)))])
    num = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    s = f"{country}{98 - num % 97:02d}{bban}"
    return " ".join(s[i : i + 4] for i in range(0, len(s), 4)) if rng.random() < 0.5 else s


def phone() -> str:
    m = "1" + rng.choice("3456789") + "".join(rng.choices(string.digits, k=9))
    return rng.choice([m, f"+86 {m[:3]} {m[3:7]} {m[7:]}", f"{m[:3]}-{m[3:7]}-{m[7:]}", f"+86{m}",
                       f"0{rng.choice(['10', '21', '755', '571'])}-{rng.randint(2000000, 89999999)}",
                       f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                       f"{rng.randint(201, 989)}-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                       f"+44 20 {rng.randint(7000, 7999)} {rng.randint(1000, 9999)}",
                       f"+1 {rng.randint(201, 989)} {rng.randint(200, 999)} {rng.randint(1000, 9999)}"])


def email() -> str:
    user = rng.choice(["li.wei", "zhang_san", "j.smith", "ops-team", "wangfang88", "anna.k", "buyer+test"])
    return f"{user}{rng.randint(1, 99)}@{rng.choice(['example.com', 'qq.com', '163.com', 'corp.example.cn', 'mail.co.uk'])}"


def ip() -> str:
    if rng.random() < 0.7:
        return ".".join(str(rng.randint(1, 254)) for _ in range(4))
    return ":".join(f"{rng.randint(0, 65535):x}" for _ in range(8))


def url() -> str:
    secret = "".join(rng.choices(string.ascii_letters + string.digits, k=rng.randint(16, 40)))
    return rng.choice([f"https://app.example.com/reset?token={secret}", f"https://files.example.cn/s/{secret}{secret}",
                       f"http://portal.example.com/login?user=ops&password={secret[:10]}",
                       f"https://api.example.com/v1/export?api_key={secret}&format=csv"])


def handle() -> str:
    return "@" + rng.choice(["zhang_san", "DataOpsLead", "小王同学", "battery_fan", "li_ming2026", "OpsTeamCN"])


GEN = {"EMAIL": email, "PHONE": phone, "CN_ID": cn_id, "CARD": card, "IBAN": iban, "IP": ip, "URL": url, "HANDLE": handle}


def negative() -> str:
    tpl = rng.choice(NEG)
    return tpl.format(v=f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
                      d=rng.choice(["2026-03-05", "2026/3/5", "5 March 2026", "2026年3月5日"]),
                      o=f"{rng.randint(10 ** 7, 10 ** 11)}", p=f"{rng.randint(9, 9999):,}", t=f"{rng.randint(0, 23)}:{rng.randint(0, 59):02d}",
                      pct=f"{rng.randint(1, 99)}%", n=rng.randint(2, 500), sku=f"SKU-{rng.randint(1000, 99999)}", q=rng.randint(1, 4))


def case() -> dict:
    if rng.random() < 0.25:
        return {"text": negative(), "spans": []}
    kinds = rng.sample(sorted(GEN), k=1 if rng.random() < 0.8 else 2)
    text, spans = "", []
    for kind in kinds:
        value = GEN[kind]()
        tpl = rng.choice(ZH if rng.random() < 0.5 else EN)
        left = tpl.split("{x}")[0]
        start = len(text) + len(left)
        text += tpl.replace("{x}", value) + " "
        spans.append({"kind": kind, "start": start, "end": start + len(value)})
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


def hand_cases() -> list[dict]:
    out = []
    for text, spans in HAND:
        found = []
        for kind, value in spans:
            start = text.index(value)
            found.append({"kind": kind, "start": start, "end": start + len(value)})
        out.append({"text": text, "spans": found, "hand": True})
    return out


def main() -> None:
    cases = [case() for _ in range(480)] + hand_cases()
    for c in cases:
        c["split"] = "test" if rng.random() < 0.5 else "dev"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases ({sum(len(c['spans']) for c in cases)} PII spans) to {OUT}")


if __name__ == "__main__":
    main()
