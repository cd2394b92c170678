#!/usr/bin/env python3
"""The hard cases of a linkage run, by the synthetic truth file's tags.

usage: hard_cases.py TRUTH.csv LINKS TOKENS
LINKS: "feed:source_key<TAB>resident_id" lines (auditor.link);
TOKENS: "feed:source_key<TAB>nino<TAB>nhs<TAB>dob<TAB>uprn<TAB>postcode"
lines, the keyed tokens as text ('' when missing).
Prints one line per tag: "tag joined linkable wrongly_merged persons",
and a line "notice ..." for the persons with a breathing-space notice
(there "linkable" counts every such person with another record). A
person is linkable when their records are joined by shared tokens (more
than names); joined when all their records are in one resident; wrongly
merged when a resident holding one of their records holds another
person's too. Only references, resident ids and counts are read: no name
or date of birth.
"""
import collections, csv, sys

truth, tags = {}, {}
for r in csv.DictReader(open(sys.argv[1])):
    k = r["feed"] + ":" + r["source_key"]
    truth[k], tags[k] = r["person_id"], set(r["tags"].split("|"))
res = dict(l.rstrip("\n").split("\t") for l in open(sys.argv[2]))
tok = {}
for l in open(sys.argv[3]):
    f = l.rstrip("\n").split("\t")
    tok[f[0]] = f[1:]
by_person, by_res = collections.defaultdict(list), collections.defaultdict(set)
for k in truth:
    if k in res:
        by_person[truth[k]].append(k)
        by_res[res[k]].add(truth[k])

def linkable(ks):
    up = {k: k for k in ks}
    def find(x):
        while up[x] != x:
            x = up[x]
        return x
    for i, a in enumerate(ks):
        for b in ks[i + 1:]:
            if any(x and x == y for x, y in zip(tok.get(a, ()), tok.get(b, ()))):
                up[find(a)] = find(b)
    return len({find(k) for k in ks}) == 1

def report(tag, persons, need_evidence=True):
    joined = able = merged = 0
    for p in persons:
        ks = by_person[p]
        merged += any(len(by_res[res[k]]) > 1 for k in ks)
        if len(ks) > 1 and (not need_evidence or linkable(ks)):
            able += 1
            joined += len({res[k] for k in ks}) == 1
    print(tag, joined, able, merged, len(persons))

for tag in ("twin", "father_son", "nickname", "marriage", "moved"):
    report(tag, {truth[k] for k in truth if tag in tags[k] and k in res})
# People with a breathing-space notice and other records: here every
# such person counts ("linkable" is not asked), as the notice's debts are
# what it protects.
report("notice", {truth[k] for k in truth
                  if k.startswith("breathing_space:") and k in res}, False)
