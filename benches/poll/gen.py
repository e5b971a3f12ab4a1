#!/usr/bin/env python3
"""Deterministic feed generator for the poll benchmark (benches/poll/run.sh).

gen.py N OUT_DIR writes OUT_DIR/round1/f/<i>.<ext> and OUT_DIR/round2/f/<i>.<ext> for
i in 0..N-1: 20 items per feed in round 1; round 2 is the same feed with two new items
on top (22). Mix: 60 % RSS 2.0, 30 % Atom 1.0, 10 % JSON Feed 1.1; 5 % of all feeds
are RSS encoded in GBK (declared in the XML prolog). Titles and bodies are Chinese
text; bodies are HTML of 1–3 KB with paragraphs, links (some relative), images and
emphasis. The same N always gives the same bytes (seeded per feed), so runs compare.
"""
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

WORDS = (
    "新疆 博州 科协 棉花 农业 技术 推广 会议 召开 部署 工作 发展 改革 民生 教育 卫生 "
    "交通 水利 生态 环境 保护 产业 园区 项目 建设 投资 企业 服务 群众 干部 乡村 振兴 "
    "文化 旅游 体育 赛事 安全 生产 检查 督导 政策 解读 通知 公告 统计 数据 经济 运行 "
    "平稳 增长 就业 社会 保障 医疗 养老 住房 城市 更新 治理 创新 科技 人才 培训 合作"
).split()
PUNCT = "，，，。；、"


def sentence(rng, lo=8, hi=20):
    n = rng.randint(lo, hi)
    out = []
    for k in range(n):
        out.append(rng.choice(WORDS))
        if k < n - 1 and rng.random() < 0.25:
            out.append(rng.choice(PUNCT))
    return "".join(out) + "。"


def body_html(rng, host, target):
    parts = []
    size = 0
    while size < target:
        kind = rng.random()
        text = "".join(sentence(rng) for _ in range(rng.randint(1, 3)))
        if kind < 0.15:
            frag = f'<p>{text}<a href="/news/{rng.randint(1, 99999)}.html">相关链接</a></p>'
        elif kind < 0.25:
            frag = (f'<p><img src="http://{host}/img/{rng.randint(1, 9999)}.jpg" '
                    f'alt="{rng.choice(WORDS)}" width="600"></p>')
        elif kind < 0.35:
            frag = f"<p><strong>{rng.choice(WORDS)}</strong>{text}</p>"
        else:
            frag = f"<p>{text}</p>"
        parts.append(frag)
        size += len(frag.encode("utf-8"))
    return "\n".join(parts)


def items(rng, i, host, count, base_time):
    out = []
    for k in range(count):
        # Newest first; item k of round 2 is item k-2 of round 1.
        seq = count - 1 - k
        irng = random.Random(f"{i}-{seq}")
        title = "".join(irng.choice(WORDS) for _ in range(irng.randint(4, 9)))
        out.append({
            "id": f"http://{host}/news/{i}/{seq}.html",
            "link": f"http://{host}/news/{i}/{seq}.html",
            "title": title,
            "summary": sentence(irng, 20, 40),
            "html": body_html(irng, host, irng.randint(1000, 3000)),
            "date": base_time + timedelta(hours=seq * 3),
            "author": irng.choice(["张三", "李四", "王五", "新华社", "本网记者"]),
        })
    return out


def rss(i, host, its, encoding):
    head = f'<?xml version="1.0" encoding="{encoding}"?>\n'
    x = [head, '<rss version="2.0"><channel>',
         f"<title>测试频道 {i}</title><link>http://{host}/</link>",
         "<description>生成的新闻源</description><language>zh-cn</language>"]
    for it in its:
        x.append(
            f"<item><title>{escape(it['title'])}</title><link>{it['link']}</link>"
            f"<guid isPermaLink=\"true\">{it['id']}</guid>"
            f"<pubDate>{it['date'].strftime('%a, %d %b %Y %H:%M:%S +0800')}</pubDate>"
            f"<author>{it['author']}</author>"
            f"<description>{escape(it['html'])}</description></item>")
    x.append("</channel></rss>\n")
    text = "".join(x)
    return text.encode("gbk" if encoding == "GBK" else "utf-8")


def atom(i, host, its):
    x = ['<?xml version="1.0" encoding="utf-8"?>\n',
         '<feed xmlns="http://www.w3.org/2005/Atom">',
         f"<title>测试频道 {i}</title><id>http://{host}/atom/{i}</id>",
         f'<link href="http://{host}/"/>',
         f"<updated>{its[0]['date'].isoformat()}</updated>"]
    for it in its:
        x.append(
            f"<entry><title>{escape(it['title'])}</title><id>{it['id']}</id>"
            f'<link href="{it["link"]}"/><updated>{it["date"].isoformat()}</updated>'
            f"<author><name>{it['author']}</name></author>"
            f"<summary>{escape(it['summary'])}</summary>"
            f'<content type="html">{escape(it["html"])}</content></entry>')
    x.append("</feed>\n")
    return "".join(x).encode("utf-8")


def jsonfeed(i, host, its):
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": f"测试频道 {i}",
        "home_page_url": f"http://{host}/",
        "items": [{
            "id": it["id"], "url": it["link"], "title": it["title"],
            "summary": it["summary"], "content_html": it["html"],
            "date_published": it["date"].isoformat(),
            "authors": [{"name": it["author"]}],
        } for it in its],
    }
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def kind_of(i):
    """(kind, extension, encoding) of feed i: 60 % RSS (5 % of all in GBK), 30 % Atom, 10 % JSON."""
    r = i % 20
    if r == 0:
        return "rss", "xml", "GBK"
    if r < 12:
        return "rss", "xml", "utf-8"
    if r < 18:
        return "atom", "atom", "utf-8"
    return "json", "json", "utf-8"


def feed_path(i):
    return f"f/{i}.{kind_of(i)[1]}"


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    hosts = sys.argv[3].split(",") if len(sys.argv) > 3 else ["127.0.0.1"]
    base_time = datetime(2026, 11, 1, tzinfo=timezone(timedelta(hours=8)))
    total = {1: 0, 2: 0}
    for rnd, count in ((1, 20), (2, 22)):
        os.makedirs(os.path.join(out, f"round{rnd}", "f"), exist_ok=True)
        for i in range(n):
            host = hosts[i % len(hosts)]
            kind, _, enc = kind_of(i)
            its = items(None, i, host, count, base_time)
            data = {"rss": lambda: rss(i, host, its, enc),
                    "atom": lambda: atom(i, host, its),
                    "json": lambda: jsonfeed(i, host, its)}[kind]()
            with open(os.path.join(out, f"round{rnd}", feed_path(i)), "wb") as f:
                f.write(data)
            total[rnd] += len(data)
    print(f"{n} feeds: round 1 {total[1] / 1e6:.1f} MB, round 2 {total[2] / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
