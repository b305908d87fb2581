#!/usr/bin/env python3
"""Notice XML parsing with the standard library's ElementTree, extracting the same fields as
the Rust parser (purchase number, customer INN, starting price in kopecks, OKPD2 codes,
application deadline), namespace-agnostic by local name as the Rust parser matches.

    python3 bench/tenders_parse.py ROUNDS FILE...
"""
import json
import sys
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from decimal import Decimal

MSK = timezone(timedelta(hours=3))


def local(tag):
    return tag.rsplit("}", 1)[-1]


def find(el, *path):
    """The first descendant chain matching local names in `path`."""
    for child in el.iter():
        if local(child.tag) != path[0]:
            continue
        if len(path) == 1:
            return child
        found = find_children(child, path[1:])
        if found is not None:
            return found
    return None


def find_children(el, path):
    for child in el:
        if local(child.tag) == path[0]:
            if len(path) == 1:
                return child
            found = find_children(child, path[1:])
            if found is not None:
                return found
    return None


def text(el):
    return el.text.strip() if el is not None and el.text else ""


def instant(s):
    if not s:
        return 0
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        return 0
    if t.tzinfo is None:
        t = t.replace(tzinfo=MSK)
    return int(t.timestamp())


def kopecks(s):
    return int(Decimal(s) * 100) if s else 0


def extract(root):
    kind = local(root.tag)
    if kind == "export":
        notice = root[0]
        number = text(find(notice, "commonInfo", "purchaseNumber"))
        inn = text(find(notice, "responsibleOrgInfo", "INN"))
        role = text(find(notice, "purchaseResponsibleInfo", "responsibleRole"))
        if role != "CU":
            # An authorised body placed it: the customer's INN is inside the purchase code
            # (one digit of budget level, then the 10-digit INN), as the Rust parser reads it.
            code = text(find(notice, "IKZInfo", "customerCode"))
            inn = code[1:11] if len(code) >= 11 else ""
        price = text(find(notice, "maxPriceInfo", "maxPrice"))
        deadline = text(find(notice, "collectingInfo", "endDT"))
        codes = []
        objects = find(notice, "purchaseObjectsInfo")
        if objects is not None:
            for el in objects.iter():
                if local(el.tag) == "OKPD2":
                    for c in el:
                        if local(c.tag) in ("OKPDCode", "code") and c.text and c.text.strip() not in codes:
                            codes.append(c.text.strip())
    else:
        body = find(root, "body", "item")
        data = next(c for c in body if local(c.tag).endswith("Data"))
        number = text(find_children(data, ["registrationNumber"]))
        inn = text(find_children(data, ["customer", "mainInfo", "inn"]))
        price = text(find(data, "initialSum"))
        deadline = text(find_children(data, ["submissionCloseDateTime"]))
        codes = []
        for el in data.iter():
            if local(el.tag) == "okpd2":
                for c in el:
                    if local(c.tag) == "code" and c.text and c.text.strip() not in codes:
                        codes.append(c.text.strip())
    return number, inn, kopecks(price), len(codes), instant(deadline)


def main():
    rounds = int(sys.argv[1])
    files = [(f, open(f, "rb").read()) for f in sys.argv[2:]]
    summary = ["%s|%s|%s|%s|%s" % extract(ET.fromstring(b)) for _, b in files]
    start = time.perf_counter()
    parsed = 0
    for _ in range(rounds):
        for _, b in files:
            number = extract(ET.fromstring(b))[0]
            parsed += 1 if number else 0
    secs = time.perf_counter() - start
    mb = sum(len(b) for _, b in files) * rounds / 1e6
    print(json.dumps({"parser": "python", "notices": parsed, "seconds": round(secs, 4),
                      "notices_per_s": round(parsed / secs), "mb_per_s": round(mb / secs, 1),
                      "fields": ";".join(summary)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
