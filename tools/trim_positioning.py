#!/usr/bin/env python3
"""Rebuild src/positioning/embedded/{tff.psv,rut.csv} from the shared market-data folder.

Usage: tools/trim_positioning.py <data dir holding positioning/ and daily/> <output dir>

tff.psv keeps, per CFTC TFF weekly row of the E-mini Russell 2000 (239742) and E-mini
Nasdaq-100 (209742): the report (F = futures only, C = futures + options combined), the
contract code, the report Tuesday, open interest, leveraged funds long/short and asset
managers long/short (blank where the source has none). Raw CFTC rows win over the derived
exports, which only fill weeks the raw files lack. rut.csv keeps the Russell 2000 daily close
from 2016 (the embedded bars' start), rounded to cents, for the dollar conversion and for
drawing index levels on the IWM chart.
"""
import csv, glob, json, os, sys

src, out = sys.argv[1], sys.argv[2]
CODES = {"239742", "209742"}
rows = {}  # (report, code, date) -> (oi, ll, ls, al, as)


def put(key, val, override):
    if override or key not in rows:
        rows[key] = val


for path in sorted(glob.glob(os.path.join(src, "positioning", "tff_*.txt"))):
    with open(path, newline="") as f:
        r = csv.reader(f)
        head = [h.strip() for h in next(r)]
        ix = {h: i for i, h in enumerate(head)}
        for line in r:
            code = line[ix["CFTC_Contract_Market_Code"]].strip()
            if code not in CODES:
                continue
            kind = "C" if "Combined" in line[ix["FutOnly_or_Combined"]] else "F"
            g = lambda k: int(line[ix[k]].strip())
            put((kind, code, line[ix["Report_Date_as_YYYY-MM-DD"]].strip()),
                (g("Open_Interest_All"), g("Lev_Money_Positions_Long_All"),
                 g("Lev_Money_Positions_Short_All"), g("Asset_Mgr_Positions_Long_All"),
                 g("Asset_Mgr_Positions_Short_All")), True)

# Philbenzy: futures + options for 239742 (mm_* = leveraged funds, prod_* = asset managers).
(pb,) = glob.glob(os.path.join(src, "positioning", "philbenzy_*.json"))
for w in json.load(open(pb))["tff_instruments"]["russell"]["weekly_data"]:
    put(("C", "239742", w["date"][:10]),
        (w["open_interest"], w["mm_long"], w["mm_short"], w["prod_long"], w["prod_short"]), False)

# qiaoenn: futures only, leveraged funds only (no asset managers) for 209742.
(qe,) = glob.glob(os.path.join(src, "positioning", "qiaoenn_*.csv"))
for w in csv.DictReader(open(qe)):
    if w["cftc_contract_market_code"] != "209742":
        continue
    put(("F", "209742", w["report_date_as_yyyy_mm_dd"][:10]),
        (int(w["open_interest_all"]), int(w["lev_money_positions_long"]),
         int(w["lev_money_positions_short"]), None, None), False)

with open(os.path.join(out, "tff.psv"), "w") as f:
    f.write("report|code|date|open_interest|lev_long|lev_short|am_long|am_short\n")
    for (kind, code, date), v in sorted(rows.items()):
        if date < "2018-01-01":
            continue
        f.write("|".join([kind, code, date] + ["" if x is None else str(x) for x in v]) + "\n")

with open(os.path.join(src, "daily", "RUT.csv")) as f, open(os.path.join(out, "rut.csv"), "w") as o:
    o.write("date,close\n")
    for w in csv.DictReader(f):
        if w["Date"][:10] >= "2016-01-01":
            o.write(f"{w['Date'][:10]},{float(w['Close']):.2f}\n")
